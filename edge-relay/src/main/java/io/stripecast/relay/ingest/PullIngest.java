package io.stripecast.relay.ingest;

import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.stream.StreamRuntime;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Pull ingest: polls an upstream HLS media playlist (an origin that already exists), fetches each
 * new segment once, and hands both to the same committer a PUT would reach. Every fetch goes through
 * {@link UpstreamFetcher}: only the pull URL's origin (or configured hosts), only allowed addresses, no redirects
 * elsewhere; what it refuses is counted and dropped, and the stream goes on with the rest.
 */
final class PullIngest {
    private static final Logger LOG = Logger.getLogger(PullIngest.class);
    private static final int REMEMBERED = 4096;

    private final StreamRuntime runtime;
    private final IngestCommitter committer;
    private final RelayMetrics metrics;
    private final RelaySettings.Limits limits;
    private final URI playlistUri;
    private final PlaylistParser parser;
    private final UpstreamFetcher fetcher;
    private final ScheduledExecutorService worker;
    /** URIs fetched already, bounded: a segment is fetched once. */
    private final Set<String> fetched = new HashSet<>();
    private final ArrayDeque<String> fetchedOrder = new ArrayDeque<>();
    /** URIs refused already, bounded: counted once, dropped from every later playlist without another try. */
    private final Set<String> refused = new HashSet<>();
    private final ArrayDeque<String> refusedOrder = new ArrayDeque<>();
    private ScheduledFuture<?> task;
    private boolean failing;
    private long lastNewest = -1;
    /** The ladder last handed to the committer (pull of a master): handed again only when it changes. */
    private HlsMaster lastLadder;

    PullIngest(StreamRuntime runtime, IngestCommitter committer, RelayMetrics metrics, RelaySettings.Limits limits,
               UpstreamFetcher.Factory fetchers) {
        this.runtime = runtime;
        this.committer = committer;
        this.metrics = metrics;
        this.limits = limits;
        this.playlistUri = URI.create(runtime.spec().pullUrl().orElseThrow());
        this.parser = new PlaylistParser(limits.maxPlaylistEntries(), false);
        this.fetcher = fetchers.forPullUrl(playlistUri);
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pull-" + runtime.spec().name());
            t.setDaemon(true);
            return t;
        });
    }

    boolean feeds(StreamRuntime r) {
        return runtime == r;
    }

    String url() {
        return playlistUri.toString();
    }

    void start() {
        long every = Math.max(100, runtime.spec().pullInterval().toMillis());
        task = worker.scheduleWithFixedDelay(this::poll, 0, every, TimeUnit.MILLISECONDS);
        LOG.infof("stream %s: pulling %s every %d ms", runtime.spec().name(), playlistUri, every);
    }

    void stop() {
        if (task != null) {
            task.cancel(true);
        }
        worker.shutdownNow();
    }

    private void poll() {
        try {
            UpstreamFetcher.Round round = fetcher.round();
            byte[] body = round.get(playlistUri, limits.maxPlaylistBytes());
            if (HlsMasterParser.isMaster(body)) {
                pollMaster(round, body);
                return;
            }
            MediaPlaylist playlist = parser.parse(body);
            long now = System.currentTimeMillis();
            if (!playlist.entries().isEmpty()) {
                long newest = playlist.entries().get(playlist.entries().size() - 1).upstreamSequence();
                if (newest < lastNewest) {
                    // The origin restarted its numbering: names like index0.ts are new files again.
                    fetched.clear();
                    fetchedOrder.clear();
                    refused.clear();
                    refusedOrder.clear();
                }
                lastNewest = newest;
            }
            // The playlist first: each segment then commits as soon as its bytes are in, and the
            // committer never holds more than one unlisted upload.
            committer.onPlaylist(playlist, now);
            for (PlaylistEntry e : playlist.entries()) {
                if (e.mapUri() != null && !fetchOnce(round, e.mapUri())) {
                    continue;
                }
                fetchOnce(round, e.uri());
            }
            reachable();
        } catch (UpstreamRefused e) {
            // The pull URL itself (or its redirect) is not allowed: nothing is fetched, ever, until it changes.
            metrics.pullRefused(runtime.spec().name(), e.reason);
            if (!failing) {
                LOG.warnf("stream %s: %s", runtime.spec().name(), e.getMessage());
                failing = true;
            }
        } catch (IOException | PlaylistException e) {
            metrics.ingestRejected("pull_failed");
            if (!failing) {
                LOG.warnf("stream %s: pulling %s failed: %s", runtime.spec().name(), playlistUri, e.getMessage());
                failing = true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // Never let one bad poll end the schedule: a scheduled task that throws is never run again.
            metrics.ingestRejected("pull_failed");
            LOG.warnf(e, "stream %s: pulling %s failed", runtime.spec().name(), playlistUri);
        }
    }

    private void reachable() {
        if (failing) {
            LOG.infof("stream %s: upstream %s reachable again", runtime.spec().name(), playlistUri);
            failing = false;
        }
    }

    /**
     * The pull URL names a master playlist: each variant (at most {@link io.stripecast.relay.push.ShardValidator#MAX_RENDITIONS},
     * URIs resolved against the master's URL) is checked by the same guard as every other fetch; a refused variant is
     * counted and left out of the ladder (the renditions are the allowed variants, in master order). Each variant's
     * media playlist is then polled and committed into its rendition; its entries are keyed by their resolved URLs, as
     * variants in different folders commonly name their segments alike.
     */
    private void pollMaster(UpstreamFetcher.Round round, byte[] body) throws IOException, InterruptedException, PlaylistException {
        HlsMaster master = new HlsMasterParser(false).parse(body);
        java.util.List<HlsMaster.Variant> allowed = new java.util.ArrayList<>();
        for (HlsMaster.Variant v : master.variants()) {
            URI resolved;
            try {
                resolved = playlistUri.resolve(v.uri());
                round.check(resolved);
            } catch (UpstreamRefused e) {
                metrics.pullRefused(runtime.spec().name(), e.reason);
                continue;
            } catch (IllegalArgumentException e) {
                metrics.pullRefused(runtime.spec().name(), UpstreamGuard.SCHEME);
                continue;
            }
            allowed.add(v.withUri(resolved.toString()));
        }
        if (allowed.isEmpty()) {
            throw new UpstreamRefused(UpstreamGuard.SCHEME, "no variant of " + playlistUri + " may be fetched");
        }
        HlsMaster ladder = new HlsMaster(allowed);
        long now = System.currentTimeMillis();
        if (!ladder.equals(lastLadder)) {
            committer.onMaster(ladder, now);
            lastLadder = ladder;
        }
        for (HlsMaster.Variant v : ladder.variants()) {
            URI variantUri = URI.create(v.uri());
            MediaPlaylist playlist;
            try {
                playlist = absolute(variantUri, parser.parse(round.get(variantUri, limits.maxPlaylistBytes())));
            } catch (UpstreamRefused e) {
                // A redirect elsewhere: this variant gets nothing this poll, the others go on.
                metrics.pullRefused(runtime.spec().name(), e.reason);
                continue;
            } catch (IOException | PlaylistException e) {
                metrics.ingestRejected("pull_failed");
                LOG.debugf("stream %s: variant %s: %s", runtime.spec().name(), variantUri, e.getMessage());
                continue;
            }
            committer.onPlaylist(v.uri(), playlist, System.currentTimeMillis());
            for (PlaylistEntry e : playlist.entries()) {
                if (e.mapUri() != null && !fetchOnce(round, e.mapUri())) {
                    continue;
                }
                fetchOnce(round, e.uri());
            }
        }
        reachable();
    }

    /** The playlist with every URI resolved against its own URL (unresolvable ones kept, and refused on fetch). */
    private static MediaPlaylist absolute(URI base, MediaPlaylist playlist) {
        java.util.List<PlaylistEntry> entries = new java.util.ArrayList<>(playlist.entries().size());
        for (PlaylistEntry e : playlist.entries()) {
            entries.add(new PlaylistEntry(e.upstreamSequence(), resolve(base, e.uri()), e.durationMicros(), e.discontinuity(),
                    e.mapUri() == null ? null : resolve(base, e.mapUri())));
        }
        return new MediaPlaylist(playlist.mediaSequence(), entries, playlist.endList());
    }

    private static String resolve(URI base, String uri) {
        try {
            return base.resolve(uri).toString();
        } catch (IllegalArgumentException e) {
            return uri;
        }
    }

    /** Fetches a listed file once; false when it is refused (the committer drops what needs it, the rest goes on). */
    private boolean fetchOnce(UpstreamFetcher.Round round, String uri) throws IOException, InterruptedException {
        if (refused.contains(uri)) {
            committer.onRefused(uri, System.currentTimeMillis());
            return false;
        }
        if (fetched.contains(uri)) {
            return true;
        }
        byte[] bytes;
        try {
            bytes = round.get(playlistUri.resolve(uri), limits.maxSegmentBytes());
        } catch (UpstreamRefused e) {
            metrics.pullRefused(runtime.spec().name(), e.reason);
            LOG.debugf("stream %s: %s", runtime.spec().name(), e.getMessage());
            remember(refused, refusedOrder, uri);
            committer.onRefused(uri, System.currentTimeMillis());
            return false;
        } catch (IllegalArgumentException e) {
            // Not a URI at all: as refused, never retried.
            metrics.pullRefused(runtime.spec().name(), UpstreamGuard.SCHEME);
            remember(refused, refusedOrder, uri);
            committer.onRefused(uri, System.currentTimeMillis());
            return false;
        }
        remember(fetched, fetchedOrder, uri);
        committer.onFile(uri, bytes, System.currentTimeMillis());
        return true;
    }

    private static void remember(Set<String> set, ArrayDeque<String> order, String uri) {
        set.add(uri);
        order.add(uri);
        while (order.size() > REMEMBERED) {
            set.remove(order.removeFirst());
        }
    }
}

package io.stripecast.relay.ingest;

import io.quarkus.runtime.ShutdownEvent;
import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.stream.StreamRuntime;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import jakarta.inject.Inject;

import java.net.URI;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Ingest for every stream this relay is the root of: the committer behind PUTs, and pull ingest where configured. */
@ApplicationScoped
public class IngestService {
    @Inject
    RelaySettings settings;
    @Inject
    StreamRegistry streams;
    @Inject
    RelayMetrics metrics;
    @Inject
    UpstreamResolver resolver;
    @Inject
    Vertx vertx;

    /**
     * Keyed by runtime, not name: a stream re-created with new parameters gets a new publisher, committer and DASH
     * ingest. One publisher per runtime, shared by the HLS path (committer, pull) and the DASH path: transport
     * sequences are per stream and strictly increasing whatever feeds it.
     */
    private final Map<StreamRuntime, SegmentPublisher> publishers = new ConcurrentHashMap<>();
    private final Map<StreamRuntime, IngestCommitter> committers = new ConcurrentHashMap<>();
    private final Map<StreamRuntime, SerialWork> serialWork = new ConcurrentHashMap<>();
    private final Map<StreamRuntime, DashIngest> dashes = new ConcurrentHashMap<>();
    private final Map<String, PullIngest> pulls = new ConcurrentHashMap<>();
    /** Stops this service's once-a-second expiry. */
    private Runnable expiry;
    private HttpClient upstreamHttp;
    private List<AddressRange> allowedNetworks;

    @PostConstruct
    void init() {
        // Parsed at start: a bad range stops the relay here rather than at the first pull.
        allowedNetworks = settings.pull().allowedNetworks().orElse(List.of()).stream().map(AddressRange::parse).toList();
        upstreamHttp = vertx.createHttpClient(new HttpClientOptions().setMaxPoolSize(4).setKeepAlive(true)
                .setTrustAll(false).setVerifyHost(true));
        expiry = streams.everySecond(this::expireAll);
    }

    /** Starts pull ingest where this relay became the root of a pulled stream, stops it where it no longer is. */
    public synchronized void syncPulls() {
        Set<String> wanted = new HashSet<>();
        for (StreamRuntime runtime : streams.all()) {
            String name = runtime.spec().name();
            if (runtime.spec().pullUrl().isEmpty() || !runtime.isRoot()) {
                continue;
            }
            wanted.add(name);
            PullIngest current = pulls.get(name);
            if (current != null && current.feeds(runtime) && current.url().equals(runtime.spec().pullUrl().get())) {
                continue;
            }
            if (current != null) {
                current.stop();
            }
            PullIngest pull = new PullIngest(runtime, committer(runtime), metrics, settings.limits(), this::fetcher);
            pulls.put(name, pull);
            pull.start();
        }
        pulls.entrySet().removeIf(e -> {
            if (!wanted.contains(e.getKey())) {
                e.getValue().stop();
                return true;
            }
            return false;
        });
    }

    private UpstreamFetcher fetcher(URI pullUrl) {
        UpstreamGuard guard = new UpstreamGuard(pullUrl, settings.pull().allowedHosts().orElse(List.of()), allowedNetworks);
        return new UpstreamFetcher(upstreamHttp, resolver, guard, settings.pull().timeout(), settings.pull().maxRedirects());
    }

    void onStop(@Observes ShutdownEvent event) {
        pulls.values().forEach(PullIngest::stop);
        if (expiry != null) {
            expiry.run();
        }
    }

    /** The stream's commits, one at a time in the order they are handed over (see {@link SerialWork}). */
    SerialWork inOrder(StreamRuntime runtime) {
        return serialWork.computeIfAbsent(runtime, r -> new SerialWork(task -> vertx.executeBlocking(() -> {
            task.run();
            return null;
        }, false)));
    }

    Optional<IngestCommitter> committer(String stream) {
        return streams.find(stream).map(this::committer);
    }

    private IngestCommitter committer(StreamRuntime runtime) {
        return committers.computeIfAbsent(runtime, r -> new IngestCommitter(r, publisher(r), metrics,
                settings.limits().pendingSegmentTimeout().toMillis(), settings.limits().maxUnlistedFiles(),
                settings.limits().maxPlaylistEntries()));
    }

    /** The DASH (CMAF parts) ingest of a stream this relay takes uploads for. */
    DashIngest dash(StreamRuntime runtime) {
        return dashes.computeIfAbsent(runtime, r -> new DashIngest(r, publisher(r), metrics, settings.limits().maxOpenUploads()));
    }

    private SegmentPublisher publisher(StreamRuntime runtime) {
        return publishers.computeIfAbsent(runtime, r -> new SegmentPublisher(r, metrics, System.currentTimeMillis()));
    }

    private void expireAll() {
        long now = System.currentTimeMillis();
        committers.keySet().removeIf(this::gone);
        dashes.keySet().removeIf(this::gone);
        publishers.keySet().removeIf(this::gone);
        committers.values().forEach(c -> c.expire(now));
        dashes.values().forEach(d -> d.tick(now));
    }

    private boolean gone(StreamRuntime r) {
        return streams.find(r.spec().name()).orElse(null) != r;
    }
}

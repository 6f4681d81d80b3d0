package io.stripecast.relay.playback;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stripecast.protocol.Names;
import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.http.Cors;
import io.stripecast.relay.http.Problems;
import io.stripecast.relay.mesh.MeshRoutes;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.playback.MediaNames.Media;
import io.stripecast.relay.playback.PlaylistRenderer.Parts;
import io.stripecast.relay.playback.PlaylistRenderer.Rendered;
import io.stripecast.relay.push.ShardValidator;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.trust.PlaybackGate;
import io.stripecast.relay.window.WindowEntry;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HLS playback on every relay: {@code GET /live/{stream}/master.m3u8} (the ladder), each rendition's media playlist
 * ({@code index.m3u8}, {@code index-<r>.m3u8}), media segments, parts and init segments (names: {@link MediaNames}),
 * with cache headers fit for a CDN in front (playlists 1 s, media immutable: their names are never reused) and CORS
 * for browser players. A playlist request asking for a segment or part not listed yet ({@code ?_HLS_msn=N[&_HLS_part=P]},
 * LL-HLS blocking reload) is held until it is; a request for a part not here yet but next in line (a preload hint) is
 * held until the part is.
 */
@ApplicationScoped
public class PlaybackRoutes {
    private static final Pattern INIT = Pattern.compile("init-(\\d{1,18})\\.mp4");
    private static final Pattern DIGITS = Pattern.compile("\\d{1,18}");
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";
    private static final String PLAYLIST_TYPE = "application/vnd.apple.mpegurl";

    /** A blocking reload's delivery directives: {@code _HLS_msn}, and {@code _HLS_part} (-1 without one). */
    private record Directive(long mediaSequence, long part) {
    }

    /** A malformed directive, already answered 400. */
    private static final Directive MALFORMED = new Directive(-1, -1);

    @Inject
    StreamRegistry streams;
    @Inject
    RelayMetrics metrics;
    @Inject
    OnDemand onDemand;
    @Inject
    SegmentFiles files;

    @Inject
    RelaySettings settings;
    @Inject
    MeshRoutes mesh;
    @Inject
    PlaybackGate gate;

    void register(@Observes Router router) {
        router.route(HttpMethod.OPTIONS, "/live/*").handler(ctx -> Cors.preflight(ctx.response()));
        router.route("/live/:stream/index.m3u8").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> mediaPlaylist(ctx, 0));
        router.route("/live/:stream/" + MediaNames.MASTER).method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::master);
        router.route("/live/:stream/:file").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::file);
    }

    /** Another rendition's playlist, or a media file. */
    private void file(RoutingContext ctx) {
        int rendition = MediaNames.playlistRendition(ctx.pathParam("file"));
        if (rendition > 0) {
            mediaPlaylist(ctx, rendition);
        } else if (rendition == -2) {
            if (validName(ctx, "playlist") != null) {
                reject(ctx, "playlist", "bad_rendition", "a stream has renditions 0.." + (ShardValidator.MAX_RENDITIONS - 1)
                        + ": rendition 0's playlist is index.m3u8, rendition r's index-<r>.m3u8");
            }
        } else {
            media(ctx);
        }
    }

    private void mediaPlaylist(RoutingContext ctx, int rendition) {
        String name = validName(ctx, "playlist");
        if (name == null) {
            return;
        }
        Directive wanted = directive(ctx);
        if (wanted == MALFORMED) {
            return;
        }
        Optional<StreamRuntime> runtime = streams.find(name);
        String token = runtime.isPresent() ? admit(ctx, runtime.get(), "playlist") : "";
        if (token == null) {
            return;
        }
        boolean offerBlockingReload = offerBlockingReload(name);
        Rendered now = runtime.map(r -> r.playlists().rendition(rendition).render(offerBlockingReload)).orElse(null);
        if (now != null) {
            onDemand.viewed(name);
            // An ended playlist lists nothing more: whatever a blocking reload asks for, the answer is the last playlist.
            if (wanted == null || now.lists(wanted.mediaSequence(), wanted.part())) {
                sendPlaylist(ctx, "playlist", name, now.text(), token);
            } else if (wanted.mediaSequence() > now.lastMediaSequence() + 2) {
                // RFC 8216bis 6.2.5.2: more than two segments ahead is a client error, not something to wait for.
                metrics.playbackRequest("playlist", 400);
                Problems.send(ctx, 400, "Bad delivery directive", "_HLS_msn " + wanted.mediaSequence()
                        + " is more than two segments past the newest listed, " + now.lastMediaSequence());
            } else if (!refusedPart(ctx, wanted, now)) {
                holdUntilListed(ctx, name, runtime.get().playlists().rendition(rendition), wanted, offerBlockingReload,
                        now.targetDurationSeconds(), token);
            }
            return;
        }
        answerWhenArrived(ctx, name, runtime, "playlist",
                r -> textOf(r.playlists().rendition(rendition).render(offerBlockingReload)));
    }

    /**
     * p2p-media-loader files a playlist's segments under the playlist's URL: the _HLS_msn query of a blocking reload hides
     * them from the swarm (no byte went over P2P in BrowserMeshIT), so mesh streams do not offer it. A rendition sent as
     * parts offers it all the same (PartPlaylistFormat): the page of such a stream has no mesh.
     */
    private boolean offerBlockingReload(String name) {
        return !mesh.meshEnabled(name);
    }

    private static String textOf(Rendered rendered) {
        return rendered == null ? null : rendered.text();
    }

    /**
     * The ladder: the newest master playlist the ingest published (kept after its entry left the window); for a stream
     * without one, a master of one variant, rendition 0's playlist, once that plays.
     */
    private void master(RoutingContext ctx) {
        String name = validName(ctx, "master");
        if (name == null) {
            return;
        }
        Optional<StreamRuntime> runtime = streams.find(name);
        String token = runtime.isPresent() ? admit(ctx, runtime.get(), "master") : "";
        if (token == null) {
            return;
        }
        boolean offerBlockingReload = offerBlockingReload(name);
        String text = runtime.map(r -> masterText(r, offerBlockingReload)).orElse(null);
        if (text != null) {
            onDemand.viewed(name);
            sendPlaylist(ctx, "master", name, text, token);
            return;
        }
        answerWhenArrived(ctx, name, runtime, "master", r -> masterText(r, offerBlockingReload));
    }

    private static String masterText(StreamRuntime runtime, boolean offerBlockingReload) {
        String ladder = runtime.playlists().ladder().text();
        if (ladder != null) {
            return ladder;
        }
        if (runtime.playlist().render(offerBlockingReload) == null) {
            return null;
        }
        long bandwidth = Math.max(1, MediaFiles.peakBitRate(runtime.window().snapshot()));
        return "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=" + bandwidth + "\n" + MediaNames.playlist(0) + "\n";
    }

    /**
     * A viewer's first request for a stream not playable here: for an on-demand stream, join its forest and answer once
     * {@code text} has something (whether the stream is signed is known only then: the token is checked before anything
     * is sent); else 404.
     */
    private void answerWhenArrived(RoutingContext ctx, String name, Optional<StreamRuntime> runtime, String kind,
                                   Function<StreamRuntime, String> text) {
        if (!onDemand.canAsk(name, runtime)) {
            notFound(ctx, kind, runtime.isEmpty() ? "stream " + name + " is not carried by this relay"
                    : "stream " + name + " has no playable segment yet");
            return;
        }
        if (!onDemand.startWaiting()) {
            busy(ctx, kind, "too many viewers waiting for streams to arrive");
            return;
        }
        onDemand.ask(name);
        long deadline = System.currentTimeMillis() + onDemand.waitMillis();
        ctx.vertx().setPeriodic(100, timer -> {
            String ready = streams.find(name).map(text).orElse(null);
            boolean gone = ctx.response().closed();
            if (ready == null && !gone && System.currentTimeMillis() < deadline) {
                onDemand.askAgainIfThrottled(name);
                return;
            }
            ctx.vertx().cancelTimer(timer);
            onDemand.stopWaiting();
            if (gone) {
                return;
            }
            Optional<StreamRuntime> arrived = streams.find(name);
            if (ready != null && arrived.isPresent()) {
                String arrivedToken = admit(ctx, arrived.get(), kind);
                if (arrivedToken != null) {
                    sendPlaylist(ctx, kind, name, ready, arrivedToken);
                }
            } else {
                notFound(ctx, kind, "stream " + name + " did not arrive within " + onDemand.waitMillis() + " ms");
            }
        });
    }

    /**
     * The delivery directives: null when absent, {@link #MALFORMED} after answering 400 for malformed ones.
     * {@code _HLS_part} comes only beside {@code _HLS_msn} (RFC 8216bis 6.2.5.2); a rendition without parts ignores it.
     */
    private Directive directive(RoutingContext ctx) {
        String msn = ctx.request().getParam("_HLS_msn");
        String part = ctx.request().getParam("_HLS_part");
        if (msn == null && part == null) {
            return null;
        }
        if (msn == null || !DIGITS.matcher(msn).matches() || (part != null && !DIGITS.matcher(part).matches())) {
            metrics.playbackRequest("playlist", 400);
            Problems.send(ctx, 400, "Bad delivery directive", "_HLS_msn must be a media sequence number (up to 18 digits); "
                    + "_HLS_part may only come with it");
            return MALFORMED;
        }
        return new Directive(Long.parseLong(msn), part == null ? -1 : Long.parseLong(part));
    }

    /**
     * Answers 400 for an {@code _HLS_part} no rendition sent as parts can ever list (64 or more) or past the Advance Part
     * Limit (RFC 8216bis 6.2.5.2: three target durations of parts past the newest listed); true when it did.
     */
    private boolean refusedPart(RoutingContext ctx, Directive wanted, Rendered now) {
        Parts parts = now.parts();
        if (wanted.part() < 0 || parts == null) {
            return false;
        }
        String reason;
        String detail;
        if (wanted.part() >= ShardValidator.MAX_PARTS_PER_SEGMENT) {
            reason = "bad_part";
            detail = "_HLS_part " + wanted.part() + ": a segment has at most " + ShardValidator.MAX_PARTS_PER_SEGMENT + " parts";
        } else {
            // Past the newest part by at least this many (a later segment's parts before it are not counted: unknown yet).
            long ahead = wanted.mediaSequence() == parts.newestMediaSequence() ? wanted.part() - parts.newestPart()
                    : wanted.mediaSequence() > parts.newestMediaSequence() ? wanted.part() + 1 : 0;
            if (ahead <= parts.advancePartLimit()) {
                return false;
            }
            reason = "part_too_far";
            detail = "_HLS_part " + wanted.part() + " of segment " + wanted.mediaSequence() + " is " + ahead
                    + " parts past the newest listed (part " + parts.newestPart() + " of segment " + parts.newestMediaSequence()
                    + "), more than the Advance Part Limit of " + parts.advancePartLimit();
        }
        metrics.playbackRejected(reason);
        metrics.playbackRequest("playlist", 400);
        Problems.send(ctx, 400, "Bad delivery directive", detail);
        return true;
    }

    /**
     * Answers once the playlist lists {@code wanted}, or 503 after three target durations (RFC 8216bis
     * 6.2.5.2), whichever comes first; a viewer that leaves frees its place at once.
     */
    private void holdUntilListed(RoutingContext ctx, String name, LivePlaylist playlist, Directive wanted, boolean offerBlockingReload,
                                 long targetDurationSeconds, String token) {
        if (!metrics.playlistHeld(settings.limits().maxHeldPlaylists())) {
            busy(ctx, "playlist", "too many playlist requests held for segments not listed yet");
            return;
        }
        Context context = ctx.vertx().getOrCreateContext();
        long holdMillis = 3_000 * targetDurationSeconds;
        String what = (wanted.part() < 0 ? "" : "part " + wanted.part() + " of ") + "segment " + wanted.mediaSequence();
        // Set before any release can run: a release is answered on this context, after this handler returns.
        long[] timer = {-1};
        LivePlaylist.Hold hold = playlist.hold(wanted.mediaSequence(), wanted.part(), offerBlockingReload, listed -> context.runOnContext(v -> {
            ctx.vertx().cancelTimer(timer[0]);
            metrics.playlistReleased();
            if (!ctx.response().closed()) {
                sendPlaylist(ctx, "playlist", name, listed.text(), token);
            }
        }));
        timer[0] = ctx.vertx().setTimer(holdMillis, id -> {
            if (hold.claim()) {
                playlist.forget(hold);
                metrics.playlistReleased();
                metrics.playbackRequest("playlist", 503);
                Problems.send(ctx, 503, "Not listed yet", what + " of stream " + name + " was not listed within " + holdMillis + " ms");
            }
        });
        ctx.response().closeHandler(v -> {
            if (hold.claim()) {
                playlist.forget(hold);
                ctx.vertx().cancelTimer(timer[0]);
                metrics.playlistReleased();
            }
        });
    }

    private void busy(RoutingContext ctx, String kind, String detail) {
        metrics.playbackRequest(kind, 503);
        ctx.response().putHeader("Retry-After", "1");
        Problems.send(ctx, 503, "Busy", detail);
    }

    /** A request that can never be answered: 400, counted by reason. */
    private void reject(RoutingContext ctx, String kind, String reason, String detail) {
        metrics.playbackRejected(reason);
        metrics.playbackRequest(kind, 400);
        Problems.send(ctx, 400, "Bad request", detail);
    }

    /** {@code token}: the viewer's checked token, carried on in every URI the playlist lists ("" for an open stream). */
    private void sendPlaylist(RoutingContext ctx, String kind, String stream, String text, String token) {
        metrics.playbackRequest(kind, 200);
        String body = token.isEmpty() ? text : PlaylistRenderer.withQuery(text, token);
        send(ctx, PLAYLIST_TYPE, "public, max-age=1", Unpooled.wrappedBuffer(body.getBytes(StandardCharsets.UTF_8)), stream, () -> { });
    }

    /** The token query for a signed stream ("" when open), or null after a 403 (counted as a request too). */
    private String admit(RoutingContext ctx, StreamRuntime runtime, String kind) {
        String token = gate.admit(ctx, runtime.spec());
        if (token == null) {
            metrics.playbackRequest(kind, 403);
        }
        return token;
    }

    /** A media segment (whole, or joined from its parts), a part, or an init segment. */
    private void media(RoutingContext ctx) {
        String file = ctx.pathParam("file");
        MediaNames.Parsed parsed = MediaNames.parse(file);
        boolean isPart = parsed != null && parsed.media() != null && parsed.media().isPart();
        String kind = isPart ? "part" : "segment";
        Optional<StreamRuntime> runtime = stream(ctx, kind);
        if (runtime.isEmpty() || admit(ctx, runtime.get(), kind) == null) {
            return;
        }
        String name = runtime.get().spec().name();
        if (parsed != null && parsed.reason() != null) {
            reject(ctx, kind, parsed.reason(), parsed.detail());
            return;
        }
        if (isPart) {
            part(ctx, runtime.get(), parsed.media(), file);
            return;
        }
        EntryBody body = null;
        String type = null;
        if (parsed != null) {
            type = parsed.media().fmp4() ? "video/iso.segment" : "video/mp2t";
            HeldSegment held = MediaFiles.complete(runtime.get().window(), parsed.media());
            if (held != null && !held.parted() && sentFromFile(ctx, runtime.get(), held.whole(), type)) {
                return;
            }
            body = held == null ? null : MediaFiles.body(held);
        } else {
            Matcher init = INIT.matcher(file);
            WindowEntry e = init.matches() ? MediaFiles.init(runtime.get().window(), Long.parseLong(init.group(1))) : null;
            if (e != null) {
                body = EntryBody.of(e);
                type = "video/mp4";
            }
        }
        if (body == null) {
            notFound(ctx, "segment", "no segment " + file + " in the window of stream " + name);
            return;
        }
        if (parsed != null) {
            metrics.playbackSegmentFrom("memory");
        }
        serve(ctx, kind, type, body, name);
    }

    /**
     * Sends a whole segment from its copy ({@link SegmentFiles}) with sendfile when there is one and the answer is a
     * plaintext GET (TLS needs the bytes in the JVM; HEAD sends none); false when the window must serve it. Should the
     * file be gone before it is opened, the window serves it after all.
     */
    private boolean sentFromFile(RoutingContext ctx, StreamRuntime runtime, WindowEntry whole, String type) {
        if (ctx.request().isSSL() || ctx.request().method() != HttpMethod.GET) {
            return false;
        }
        java.nio.file.Path file = files.find(runtime, whole);
        if (file == null) {
            return false;
        }
        String name = runtime.spec().name();
        onDemand.viewed(name);
        var response = ctx.response()
                .putHeader("Content-Type", type)
                .putHeader("Cache-Control", IMMUTABLE);
        Cors.apply(response);
        // Counted before the bytes go, as from the window: either way the answer is this segment, whole.
        metrics.playbackRequest("segment", 200);
        metrics.playbackBytes(name, whole.meta().getLength());
        response.sendFile(file.toString()).onComplete(sent -> {
            if (sent.succeeded() || response.headWritten() || response.closed()) {
                metrics.playbackSegmentFrom("file");
                return;
            }
            metrics.segmentFileSkipped("open_failed");
            EntryBody body = EntryBody.of(whole);
            if (body == null) {
                notFound(ctx, "segment", "segment " + ctx.pathParam("file") + " left the window of stream " + name);
                return;
            }
            metrics.playbackSegmentFrom("memory");
            write(ctx, type, IMMUTABLE, body.body(), body::written);
        });
        return true;
    }

    /**
     * A part: at once when here; held when it is the part the playlist hints or close after it (RFC 8216bis 6.2.6: a
     * hinted resource is requested before it exists); else 404 (older than what is held, or not hinted).
     */
    private void part(RoutingContext ctx, StreamRuntime runtime, Media media, String file) {
        String name = runtime.spec().name();
        // Rendered before looking for the part: a part that completes in between is found, so one missing is at or after the hint.
        Rendered now = runtime.playlists().rendition(media.rendition()).render(offerBlockingReload(name));
        WindowEntry found = MediaFiles.part(runtime.window(), media);
        EntryBody body = found == null ? null : EntryBody.of(found);
        if (body != null) {
            serve(ctx, "part", "video/iso.segment", body, name);
            return;
        }
        Parts parts = now == null ? null : now.parts();
        if (parts == null || !parts.hasHint()) {
            notFound(ctx, "part", "no part " + file + " in the window of stream " + name);
            return;
        }
        long hintSequence = parts.hintMediaSequence();
        int hintPart = parts.hintPart();
        long limit = parts.advancePartLimit();
        long msn = media.mediaSequence();
        if (msn < hintSequence || msn == hintSequence && media.part() < hintPart) {
            notFound(ctx, "part", "no part " + file + " in the window of stream " + name + " (the next part expected is "
                    + MediaNames.part(media.rendition(), hintSequence, hintPart) + ")");
            return;
        }
        boolean hinted = msn == hintSequence && media.part() - hintPart <= limit || msn == hintSequence + 1 && media.part() <= limit;
        if (!hinted) {
            metrics.playbackRejected("part_too_far");
            notFound(ctx, "part", "part " + file + " is neither here nor due soon: the next part expected is "
                    + MediaNames.part(media.rendition(), hintSequence, hintPart) + ", and at most " + limit + " parts past it are waited for");
            return;
        }
        holdPart(ctx, runtime, media, file, now.targetDurationSeconds());
    }

    /**
     * Answers once the part is complete here (the whole part at once, never a byte before: RFC 8216bis 6.2.6), 404 once
     * its segment ended without it, or 503 after three target durations; a viewer that leaves frees its place at once.
     */
    private void holdPart(RoutingContext ctx, StreamRuntime runtime, Media media, String file, long targetDurationSeconds) {
        String name = runtime.spec().name();
        if (!metrics.partHeld(settings.limits().maxHeldParts())) {
            metrics.partHold("busy");
            busy(ctx, "part", "too many part requests held for parts not here yet");
            return;
        }
        Context context = ctx.vertx().getOrCreateContext();
        long holdMillis = 3_000 * targetDurationSeconds;
        PartHolds holds = runtime.playlists().parts();
        // Set before any answer can run: an answer is sent on this context, after this handler returns.
        long[] timer = {-1};
        PartHolds.Hold hold = holds.hold(media.rendition(), media.mediaSequence(), media.part(), entry -> context.runOnContext(v -> {
            ctx.vertx().cancelTimer(timer[0]);
            metrics.partReleased();
            metrics.partHold("arrived");
            EntryBody body = ctx.response().closed() ? null : EntryBody.of(entry);
            if (body != null) {
                serve(ctx, "part", "video/iso.segment", body, name);
            } else if (!ctx.response().closed()) {
                notFound(ctx, "part", "part " + file + " of stream " + name + " left the window before it could be sent");
            }
        }), count -> context.runOnContext(v -> {
            ctx.vertx().cancelTimer(timer[0]);
            metrics.partReleased();
            metrics.partHold("gone");
            notFound(ctx, "part", count < 0 ? "stream " + name + " ended: there will be no " + file
                    : "segment " + media.mediaSequence() + " of stream " + name + " ended with " + count + " parts: there is no " + file);
        }));
        timer[0] = ctx.vertx().setTimer(holdMillis, id -> {
            if (hold.claim()) {
                holds.forget(hold);
                metrics.partReleased();
                metrics.partHold("timeout");
                metrics.playbackRequest("part", 503);
                Problems.send(ctx, 503, "Not here yet", "part " + file + " of stream " + name + " did not arrive within " + holdMillis + " ms");
            }
        });
        ctx.response().closeHandler(v -> {
            if (hold.claim()) {
                holds.forget(hold);
                ctx.vertx().cancelTimer(timer[0]);
                metrics.partReleased();
                metrics.partHold("left");
            }
        });
    }

    private void serve(RoutingContext ctx, String kind, String type, EntryBody body, String stream) {
        onDemand.viewed(stream);
        metrics.playbackRequest(kind, 200);
        send(ctx, type, IMMUTABLE, body.body(), stream, body::written);
    }

    /** The request's stream name, or null after answering 400 for a malformed one. */
    private String validName(RoutingContext ctx, String kind) {
        String name = ctx.pathParam("stream");
        if (Names.isStreamName(name)) {
            return name;
        }
        metrics.playbackRequest(kind, 400);
        Problems.send(ctx, 400, "Bad stream name", "stream names match [A-Za-z0-9][A-Za-z0-9_-]{0,63}");
        return null;
    }

    private Optional<StreamRuntime> stream(RoutingContext ctx, String kind) {
        String name = validName(ctx, kind);
        if (name == null) {
            return Optional.empty();
        }
        Optional<StreamRuntime> runtime = streams.find(name);
        if (runtime.isEmpty()) {
            notFound(ctx, kind, "stream " + name + " is not carried by this relay");
        }
        return runtime;
    }

    private void notFound(RoutingContext ctx, String kind, String detail) {
        metrics.playbackRequest(kind, 404);
        Problems.send(ctx, 404, "Not found", detail);
    }

    /** A response body is handed to Netty in slices of at most this (see {@link #send}). */
    static final int WRITE_SLICE_BYTES = 256 * 1024;

    /**
     * Answers with {@code body}; {@code written} runs once the answer is written out or has failed, never before.
     * {@code body} wraps the window's arrays (a segment sent as parts: its parts' arrays behind one composite buffer):
     * never copied per request by us, as Buffer.buffer(byte[]) would copy megabytes.
     */
    private void send(RoutingContext ctx, String type, String cacheControl, ByteBuf body, String stream, Runnable written) {
        if (ctx.request().method() != HttpMethod.HEAD) {
            metrics.playbackBytes(stream, body.readableBytes());
        }
        write(ctx, type, cacheControl, body, written);
    }

    /** {@link #send} without counting: the answer's headers and {@code body}, or only its length to a HEAD. */
    private void write(RoutingContext ctx, String type, String cacheControl, ByteBuf body, Runnable written) {
        try {
            var response = ctx.response()
                    .putHeader("Content-Type", type)
                    .putHeader("Cache-Control", cacheControl);
            Cors.apply(response);
            int length = body.readableBytes();
            response.putHeader("Content-Length", Integer.toString(length));
            if (ctx.request().method() == HttpMethod.HEAD) {
                response.end();
                written.run();
                return;
            }
            // In slices: Netty copies a heap buffer into a direct one of its pool to write it, and one larger than the
            // pool's chunk (4 MiB) is a fresh allocation, zeroed, per response (zeroing alone was 2.5 % of a relay's
            // CPU serving 10 MB segments, issue 17). Slices are copied into pooled buffers instead.
            int at = 0;
            for (; length - at > WRITE_SLICE_BYTES; at += WRITE_SLICE_BYTES) {
                response.write(Buffer.buffer(body.slice(at, WRITE_SLICE_BYTES)));
            }
            // Completes when the last slice, so every slice, is with the kernel (or the connection failed): a slow
            // viewer holds its segment until then, never a byte less.
            response.end(Buffer.buffer(body.slice(at, length - at))).onComplete(done -> written.run());
        } catch (RuntimeException e) {
            written.run();
            throw e;
        }
    }
}

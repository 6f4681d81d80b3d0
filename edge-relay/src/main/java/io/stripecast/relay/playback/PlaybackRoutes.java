package io.stripecast.relay.playback;

import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.http.Cors;
import io.stripecast.relay.http.Problems;
import io.stripecast.relay.mesh.MeshRoutes;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.playback.PlaylistRenderer.Rendered;
import io.stripecast.protocol.Names;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.trust.PlaybackGate;
import io.stripecast.relay.window.SegmentWindow;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HLS playback on every relay: {@code GET /live/{stream}/index.m3u8}, the media segments and the
 * init segments, with cache headers fit for a CDN in front (playlist 1 s, segments immutable: their
 * names are never reused) and CORS for browser players. A playlist request asking for a segment not
 * listed yet ({@code ?_HLS_msn=N}, LL-HLS blocking reload) is held until it is.
 */
@ApplicationScoped
public class PlaybackRoutes {
    private static final Pattern MEDIA = Pattern.compile("(\\d{1,18})\\.(ts|m4s)");
    private static final Pattern INIT = Pattern.compile("init-(\\d{1,18})\\.mp4");
    private static final Pattern DIGITS = Pattern.compile("\\d{1,18}");
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";

    @Inject
    StreamRegistry streams;
    @Inject
    RelayMetrics metrics;
    @Inject
    OnDemand onDemand;

    @Inject
    RelaySettings settings;
    @Inject
    MeshRoutes mesh;
    @Inject
    PlaybackGate gate;

    void register(@Observes Router router) {
        router.route(HttpMethod.OPTIONS, "/live/*").handler(ctx -> Cors.preflight(ctx.response()));
        router.route("/live/:stream/index.m3u8").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::playlist);
        router.route("/live/:stream/:file").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::segment);
    }

    private void playlist(RoutingContext ctx) {
        String name = validName(ctx, "playlist");
        if (name == null) {
            return;
        }
        Long wanted = wantedMediaSequence(ctx);
        if (wanted != null && wanted < 0) {
            return;
        }
        Optional<StreamRuntime> runtime = streams.find(name);
        String token = runtime.isPresent() ? admit(ctx, runtime.get(), "playlist") : "";
        if (token == null) {
            return;
        }
        // p2p-media-loader files a playlist's segments under the playlist's URL: the _HLS_msn query of a blocking
        // reload hides them from the swarm (no byte went over P2P in BrowserMeshIT), so mesh streams do not offer it.
        boolean offerBlockingReload = !mesh.meshEnabled(name);
        Rendered now = runtime.map(r -> r.playlist().render(offerBlockingReload)).orElse(null);
        if (now != null) {
            onDemand.viewed(name);
            // An ended playlist lists nothing more: whatever a blocking reload asks for, the answer is the last playlist.
            if (wanted == null || wanted <= now.lastMediaSequence() || now.ended()) {
                sendPlaylist(ctx, name, now.text(), token);
            } else if (wanted > now.lastMediaSequence() + 2) {
                // RFC 8216bis 6.2.5.2: more than two segments ahead is a client error, not something to wait for.
                metrics.playbackRequest("playlist", 400);
                Problems.send(ctx, 400, "Bad delivery directive", "_HLS_msn " + wanted + " is more than two segments past the newest listed, "
                        + now.lastMediaSequence());
            } else {
                holdUntilListed(ctx, name, runtime.get().playlist(), wanted, offerBlockingReload, now.targetDurationSeconds(), token);
            }
            return;
        }
        if (!onDemand.canAsk(name, runtime)) {
            notFound(ctx, "playlist", runtime.isEmpty() ? "stream " + name + " is not carried by this relay"
                    : "stream " + name + " has no playable segment yet");
            return;
        }
        if (!onDemand.startWaiting()) {
            busy(ctx, "too many viewers waiting for streams to arrive");
            return;
        }
        // A viewer's first request for an on-demand stream: join its forest and answer once it is here. Whether the stream
        // is signed is known only then (its parameters come with it): the token is checked before anything is sent.
        onDemand.ask(name);
        long deadline = System.currentTimeMillis() + onDemand.waitMillis();
        ctx.vertx().setPeriodic(100, timer -> {
            Rendered ready = streams.find(name).map(r -> r.playlist().render(offerBlockingReload)).orElse(null);
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
                String arrivedToken = admit(ctx, arrived.get(), "playlist");
                if (arrivedToken != null) {
                    sendPlaylist(ctx, name, ready.text(), arrivedToken);
                }
            } else {
                notFound(ctx, "playlist", "stream " + name + " did not arrive within " + onDemand.waitMillis() + " ms");
            }
        });
    }

    /**
     * The {@code _HLS_msn} delivery directive: null when absent, -1 after answering 400 for a malformed
     * one. {@code _HLS_part} is accepted (this relay makes no partial segments) but only beside it.
     */
    private Long wantedMediaSequence(RoutingContext ctx) {
        String msn = ctx.request().getParam("_HLS_msn");
        String part = ctx.request().getParam("_HLS_part");
        if (msn == null && part == null) {
            return null;
        }
        if (msn == null || !DIGITS.matcher(msn).matches() || (part != null && !DIGITS.matcher(part).matches())) {
            metrics.playbackRequest("playlist", 400);
            Problems.send(ctx, 400, "Bad delivery directive", "_HLS_msn must be a media sequence number (up to 18 digits); "
                    + "_HLS_part may only come with it");
            return -1L;
        }
        return Long.parseLong(msn);
    }

    /**
     * Answers once the playlist lists {@code wanted}, or 503 after three target durations (RFC 8216bis
     * 6.2.5.2), whichever comes first; a viewer that leaves frees its place at once.
     */
    private void holdUntilListed(RoutingContext ctx, String name, LivePlaylist playlist, long wanted, boolean offerBlockingReload,
                                 long targetDurationSeconds, String token) {
        if (!metrics.playlistHeld(settings.limits().maxHeldPlaylists())) {
            busy(ctx, "too many playlist requests held for segments not listed yet");
            return;
        }
        Context context = ctx.vertx().getOrCreateContext();
        long holdMillis = 3_000 * targetDurationSeconds;
        // Set before any release can run: a release is answered on this context, after this handler returns.
        long[] timer = {-1};
        LivePlaylist.Hold hold = playlist.hold(wanted, offerBlockingReload, listed -> context.runOnContext(v -> {
            ctx.vertx().cancelTimer(timer[0]);
            metrics.playlistReleased();
            if (!ctx.response().closed()) {
                sendPlaylist(ctx, name, listed.text(), token);
            }
        }));
        timer[0] = ctx.vertx().setTimer(holdMillis, id -> {
            if (hold.claim()) {
                playlist.forget(hold);
                metrics.playlistReleased();
                metrics.playbackRequest("playlist", 503);
                Problems.send(ctx, 503, "Not listed yet", "segment " + wanted + " of stream " + name + " was not listed within "
                        + holdMillis + " ms");
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

    private void busy(RoutingContext ctx, String detail) {
        metrics.playbackRequest("playlist", 503);
        ctx.response().putHeader("Retry-After", "1");
        Problems.send(ctx, 503, "Busy", detail);
    }

    /** {@code token}: the viewer's checked token, carried on in every URI the playlist lists ("" for an open stream). */
    private void sendPlaylist(RoutingContext ctx, String stream, String text, String token) {
        metrics.playbackRequest("playlist", 200);
        String body = token.isEmpty() ? text : PlaylistRenderer.withQuery(text, token);
        send(ctx, "application/vnd.apple.mpegurl", "public, max-age=1", body.getBytes(StandardCharsets.UTF_8), stream);
    }

    /** The token query for a signed stream ("" when open), or null after a 403 (counted as a request too). */
    private String admit(RoutingContext ctx, StreamRuntime runtime, String kind) {
        String token = gate.admit(ctx, runtime.spec());
        if (token == null) {
            metrics.playbackRequest(kind, 403);
        }
        return token;
    }

    private void segment(RoutingContext ctx) {
        Optional<StreamRuntime> runtime = stream(ctx, "segment");
        if (runtime.isEmpty() || admit(ctx, runtime.get(), "segment") == null) {
            return;
        }
        String file = ctx.pathParam("file");
        SegmentWindow window = runtime.get().window();
        Matcher media = MEDIA.matcher(file);
        Matcher init = INIT.matcher(file);
        WindowEntry found = null;
        String type = null;
        if (media.matches()) {
            long mediaSequence = Long.parseLong(media.group(1));
            for (WindowEntry e : window.snapshot()) {
                if (e.isMedia() && e.meta().getMediaSequence() == mediaSequence && e.isComplete()
                        && PlaylistRenderer.segmentName(e.meta()).equals(file)) {
                    found = e;
                    break;
                }
            }
            type = file.endsWith(".ts") ? "video/mp2t" : "video/iso.segment";
        } else if (init.matches()) {
            WindowEntry e = window.entry(Long.parseLong(init.group(1)));
            if (e != null && e.meta().getKind() == SegmentKind.SEGMENT_KIND_FMP4_INIT && e.isComplete()) {
                found = e;
            }
            type = "video/mp4";
        }
        if (found == null) {
            notFound(ctx, "segment", "no segment " + file + " in the window of stream " + runtime.get().spec().name());
            return;
        }
        onDemand.viewed(runtime.get().spec().name());
        metrics.playbackRequest("segment", 200);
        send(ctx, type, IMMUTABLE, found.segment(), runtime.get().spec().name());
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

    private void send(RoutingContext ctx, String type, String cacheControl, byte[] body, String stream) {
        var response = ctx.response()
                .putHeader("Content-Type", type)
                .putHeader("Cache-Control", cacheControl);
        Cors.apply(response);
        if (ctx.request().method() == HttpMethod.HEAD) {
            response.putHeader("Content-Length", Integer.toString(body.length)).end();
            return;
        }
        metrics.playbackBytes(stream, body.length);
        response.end(Buffer.buffer(body));
    }
}

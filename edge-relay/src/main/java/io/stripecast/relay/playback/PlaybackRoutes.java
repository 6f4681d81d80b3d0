package io.stripecast.relay.playback;

import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.relay.http.Cors;
import io.stripecast.relay.http.Problems;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.protocol.Names;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowEntry;
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
 * names are never reused) and CORS for browser players.
 */
@ApplicationScoped
public class PlaybackRoutes {
    private static final Pattern MEDIA = Pattern.compile("(\\d{1,18})\\.(ts|m4s)");
    private static final Pattern INIT = Pattern.compile("init-(\\d{1,18})\\.mp4");
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";

    @Inject
    StreamRegistry streams;
    @Inject
    RelayMetrics metrics;
    @Inject
    OnDemand onDemand;

    private final PlaylistRenderer renderer = new PlaylistRenderer(6_000);

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
        Optional<StreamRuntime> runtime = streams.find(name);
        String text = runtime.map(this::render).orElse(null);
        if (text != null) {
            onDemand.viewed(name);
            sendPlaylist(ctx, name, text);
            return;
        }
        if (!onDemand.canAsk(runtime)) {
            notFound(ctx, "playlist", runtime.isEmpty() ? "stream " + name + " is not carried by this relay"
                    : "stream " + name + " has no playable segment yet");
            return;
        }
        if (!onDemand.startWaiting()) {
            metrics.playbackRequest("playlist", 503);
            ctx.response().putHeader("Retry-After", "1");
            Problems.send(ctx, 503, "Busy", "too many viewers waiting for streams to arrive");
            return;
        }
        // A viewer's first request for an on-demand stream: join its forest and answer once it is here.
        onDemand.ask(name);
        long deadline = System.currentTimeMillis() + onDemand.waitMillis();
        ctx.vertx().setPeriodic(100, timer -> {
            String ready = streams.find(name).map(this::render).orElse(null);
            boolean gone = ctx.response().closed();
            if (ready == null && !gone && System.currentTimeMillis() < deadline) {
                return;
            }
            ctx.vertx().cancelTimer(timer);
            onDemand.stopWaiting();
            if (gone) {
                return;
            }
            if (ready != null) {
                sendPlaylist(ctx, name, ready);
            } else {
                notFound(ctx, "playlist", "stream " + name + " did not arrive within " + onDemand.waitMillis() + " ms");
            }
        });
    }

    private String render(StreamRuntime runtime) {
        SegmentWindow window = runtime.window();
        return renderer.render(window.snapshot(), window.evictedDiscontinuities(), System.currentTimeMillis());
    }

    private void sendPlaylist(RoutingContext ctx, String stream, String text) {
        metrics.playbackRequest("playlist", 200);
        send(ctx, "application/vnd.apple.mpegurl", "public, max-age=1", text.getBytes(StandardCharsets.UTF_8), stream);
    }

    private void segment(RoutingContext ctx) {
        Optional<StreamRuntime> runtime = stream(ctx, "segment");
        if (runtime.isEmpty()) {
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

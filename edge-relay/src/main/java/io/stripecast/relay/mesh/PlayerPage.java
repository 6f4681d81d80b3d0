package io.stripecast.relay.mesh;

import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.http.Cors;
import io.stripecast.relay.http.Problems;
import io.stripecast.relay.playback.PlaylistRenderer;
import io.stripecast.protocol.Names;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.stream.StreamSpec;
import io.stripecast.protocol.trust.SegmentSignatures;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.relay.trust.AcceptedKeys;
import io.stripecast.relay.trust.PlaybackGate;
import io.stripecast.relay.window.WindowEntry;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The player page every edge serves at {@code /live/{stream}/} (hls.js, plus p2p-media-loader when
 * the stream's mesh is on), and {@code hashes.json}: the window's segments' signed metadata (SHA-256 included) and
 * the stream's ingest keys, with which the page checks what peers send it.
 */
@ApplicationScoped
public class PlayerPage {
    @Inject
    RelaySettings settings;
    @Inject
    StreamRegistry streams;
    @Inject
    MeshRoutes mesh;
    @Inject
    PlaybackGate gate;

    private final String template = load();

    void register(@Observes Router router) {
        // Ordered before the playback routes: /live/{stream}/{file} would take hashes.json for a segment name.
        router.route(HttpMethod.GET, "/live/:stream/").order(-2).handler(this::page);
        router.route(HttpMethod.GET, "/live/:stream/hashes.json").order(-1).handler(this::hashes);
    }

    /** The stream, empty after answering 404, or 403 for a signed stream without a valid token. */
    private Optional<StreamRuntime> stream(RoutingContext ctx) {
        String name = ctx.pathParam("stream");
        Optional<StreamRuntime> runtime = Names.isStreamName(name) ? streams.find(name) : Optional.empty();
        if (runtime.isEmpty()) {
            Problems.send(ctx, 404, "Not found", "no stream " + (Names.isStreamName(name) ? name : "") + " on this relay");
            return runtime;
        }
        return gate.admit(ctx, runtime.get().spec()) == null ? Optional.empty() : runtime;
    }

    private void page(RoutingContext ctx) {
        Optional<StreamRuntime> runtime = stream(ctx);
        if (runtime.isEmpty()) {
            return;
        }
        String name = runtime.get().spec().name();
        StreamSpec.Ice ice = ice(runtime.get().spec());
        JsonArray iceServers = ice == null ? new JsonArray() : IceServers.forPage(ice, name, System.currentTimeMillis());
        String policy = ice != null && ice.relayOnly() ? "relay" : "all";
        // A ladder: the page plays master.m3u8 and the player picks the rendition. Parts: hls.js in low-latency mode, and
        // no mesh (page.html says why).
        boolean ladder = runtime.get().playlists().ladder().text() != null;
        boolean lowLatency = runtime.get().playlists().carriesParts();
        JsonObject config = new JsonObject().put("stream", name).put("mesh", mesh.meshEnabled(name)).put("iceServers", iceServers)
                .put("master", ladder).put("lowLatency", lowLatency)
                .put("iceTransportPolicy", policy)
                // How many viewers this edge's tracker has for the stream as the page is served: a page joining a swarm
                // asks its peers for its first segments before the edge. A cached page with a stale count only waits
                // for nothing (bounded) or does not wait.
                .put("swarmViewers", mesh.meshEnabled(name) ? mesh.viewers(name) : 0);
        // The stream name is [A-Za-z0-9_-] only (checked), so it is safe in HTML as it is.
        // "<" escaped so that no configured value (a TURN credential, say) can close the script element.
        String html = template.replace("__STREAM_TITLE__", name).replace("__CONFIG__", config.encode().replace("<", "\\u003c"));
        // Derived TURN credentials are this page's own: no shared cache keeps them.
        // A signed stream's page is its viewer's too: it answers only with a token, so no shared cache may hand it out.
        boolean ownCredentials = ice != null && ice.turnSecret().isPresent() || gate.signed(runtime.get().spec());
        ctx.response().putHeader("Content-Type", "text/html; charset=utf-8")
                .putHeader("Cache-Control", ownCredentials ? "private, max-age=60" : "public, max-age=60").end(html);
    }

    /** The stream's STUN/TURN servers: the LiveStream's (through the controller), else this relay's settings. */
    private StreamSpec.Ice ice(StreamSpec spec) {
        if (spec.mesh() != null && spec.mesh().ice() != null) {
            return spec.mesh().ice();
        }
        RelaySettings.StreamSettings s = settings.streams().get(spec.name());
        return s == null ? null : IceServers.fromSettings(s.mesh());
    }

    /**
     * The window's whole media segments (every rendition's, by the names playlists list them under; parts are not shared
     * over the mesh) with what the page needs to check a peer's copy: each segment's signed metadata (the
     * fields {@link SegmentSignatures#canonical} signs, 64-bit numbers as decimal strings so JavaScript keeps them
     * exact), the ingest's signature, and the SHA-256; and the stream's ingest public keys. The page verifies the
     * signature with WebCrypto Ed25519, then the SHA-256 of the peer's bytes against the signed one.
     */
    private void hashes(RoutingContext ctx) {
        Optional<StreamRuntime> runtime = stream(ctx);
        if (runtime.isEmpty()) {
            return;
        }
        JsonObject segments = new JsonObject();
        for (WindowEntry e : runtime.get().window().snapshot()) {
            if (e.isMedia() && e.isComplete()) {
                SegmentMeta m = e.meta();
                segments.put(PlaylistRenderer.segmentName(m), new JsonObject()
                        .put("sha256", HexFormat.of().formatHex(m.getSha256().toByteArray()))
                        .put("signature", Base64.getEncoder().encodeToString(m.getSignature().toByteArray()))
                        .put("meta", signedFields(m)));
            }
        }
        JsonObject out = new JsonObject().put("stream", runtime.get().spec().name()).put("keys", new JsonArray(keys(runtime.get())))
                .put("segments", segments);
        Cors.apply(ctx.response());
        ctx.response().putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", gate.signed(runtime.get().spec()) ? "private, max-age=1" : "public, max-age=1").end(out.encode());
    }

    /** What verifies the stream's segments: the keys the controller handed out, or (no source of keys) the ingest's own. */
    private static java.util.List<String> keys(StreamRuntime runtime) {
        AcceptedKeys accepted = runtime.trust().keys();
        if (accepted != null) {
            return accepted.base64();
        }
        return runtime.isRoot() ? java.util.List.of(Base64.getEncoder().encodeToString(runtime.signer().publicKey()))
                : java.util.List.of();
    }

    static JsonObject signedFields(SegmentMeta m) {
        return new JsonObject()
                .put("sequence", Long.toUnsignedString(m.getSequence()))
                .put("kind", m.getKindValue())
                .put("mediaSequence", Long.toUnsignedString(m.getMediaSequence()))
                .put("durationMicros", Long.toUnsignedString(m.getDurationMicros()))
                .put("discontinuity", m.getDiscontinuity())
                .put("initSequence", Long.toUnsignedString(m.getInitSequence()))
                .put("length", Integer.toUnsignedString(m.getLength()))
                .put("ingestTimeMillis", Long.toString(m.getIngestTimeMillis()))
                .put("k", m.getK())
                .put("m", m.getM())
                .put("upstreamSequence", m.hasUpstreamSequence() ? Long.toString(m.getUpstreamSequence()) : null)
                // Signed under the v2 layout when set (a rendition other than 0): the page rebuilds whichever applies.
                .put("rendition", m.getRendition())
                .put("partIndex", m.getPartIndex())
                .put("independent", m.getIndependent())
                // Signed under the v3 layout when set (a part dated by the ingest's media clock).
                .put("programDateTimeMillis", Long.toString(m.getProgramDateTimeMillis()));
    }

    private static String load() {
        try (InputStream in = PlayerPage.class.getResourceAsStream("/player/page.html")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

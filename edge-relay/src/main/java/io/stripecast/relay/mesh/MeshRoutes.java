package io.stripecast.relay.mesh;

import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.http.BoundedBody;
import io.stripecast.relay.http.Cors;
import io.stripecast.relay.http.Problems;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.protocol.Names;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.stream.StreamSpec;
import io.stripecast.relay.trust.PlaybackGate;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.util.Optional;

/**
 * The leaf mesh on an edge: the tracker WebSocket ({@code /tracker/{stream}}) browser viewers
 * announce to, and the stats beacon ({@code POST /live/{stream}/stats}) they report HTTP and P2P
 * bytes to. Only for streams with mesh enabled.
 */
@ApplicationScoped
public class MeshRoutes {
    /** Largest tracker message: five offers of ~4 KB each fit with room to spare. */
    static final int MAX_MESSAGE_BYTES = 64 * 1024;
    static final int MAX_BEACON_BYTES = 1024;
    /** A beacon reports at most this many bytes per field (10 GB): more is a lie. */
    static final long MAX_BEACON_VALUE = 10_000_000_000L;

    @Inject
    RelaySettings settings;
    @Inject
    StreamRegistry streams;
    @Inject
    RelayMetrics metrics;
    @Inject
    PlaybackGate gate;

    private Tracker tracker;
    private TrackerAdmission admission;

    void register(@Observes Router router) {
        tracker = new Tracker(settings.limits().maxSwarmPeers());
        java.util.List<String> origins = new java.util.ArrayList<>(settings.tracker().allowedOrigins().orElse(java.util.List.of()));
        // The playback URL's origin: pages served under the name the relay says it is reached by.
        settings.relay().playbackUrl().ifPresent(origins::add);
        admission = new TrackerAdmission(origins, settings.tracker().maxSocketsPerAddress());
        metrics.watchTrackerAddresses(admission::addresses);
        router.route(HttpMethod.GET, "/tracker/:stream").handler(this::upgrade);
        router.route(HttpMethod.POST, "/live/:stream/stats").order(-1).handler(this::beacon);
    }

    private Optional<StreamRuntime> meshStream(RoutingContext ctx) {
        String name = ctx.pathParam("stream");
        if (!Names.isStreamName(name)) {
            Problems.send(ctx, 400, "Bad stream name", "stream names match [A-Za-z0-9][A-Za-z0-9_-]{0,63}");
            return Optional.empty();
        }
        Optional<StreamRuntime> runtime = streams.find(name).filter(r -> meshEnabled(name));
        if (runtime.isEmpty()) {
            Problems.send(ctx, 404, "Not found", "no mesh for stream " + name + " on this relay");
            return runtime;
        }
        // A signed stream's tracker and beacon take the viewer's token as its playlist does (403 otherwise).
        if (gate.admit(ctx, runtime.get().spec()) == null) {
            return Optional.empty();
        }
        return runtime;
    }

    /** Whether viewers of this stream on this relay share segments (the controller's word, else this relay's settings). */
    public boolean meshEnabled(String stream) {
        StreamSpec.Mesh fromController = controllerMesh(stream);
        if (fromController != null) {
            return fromController.enabled();
        }
        RelaySettings.StreamSettings s = settings.streams().get(stream);
        return s != null && s.mesh().enabled();
    }

    /** Viewers connected to this stream's tracker on this relay now (0 before the tracker is up). */
    public int viewers(String stream) {
        return tracker == null ? 0 : tracker.sizes(stream)[0];
    }

    private int maxPeers(String stream) {
        StreamSpec.Mesh fromController = controllerMesh(stream);
        if (fromController != null) {
            return fromController.maxPeers();
        }
        RelaySettings.StreamSettings s = settings.streams().get(stream);
        return s == null ? 8 : s.mesh().maxPeers();
    }

    private StreamSpec.Mesh controllerMesh(String stream) {
        return streams.find(stream).map(r -> r.spec().mesh()).orElse(null);
    }

    private void upgrade(RoutingContext ctx) {
        Optional<StreamRuntime> runtime = meshStream(ctx);
        if (runtime.isEmpty()) {
            // Counted once: a refused token is stripecast_relay_playback_refused_total's.
            if (ctx.response().getStatusCode() != 403) {
                metrics.trackerRejected("unknown_swarm");
            }
            return;
        }
        String stream = runtime.get().spec().name();
        String session = ctx.request().getParam("session");
        if (session != null && !isSession(session)) {
            metrics.trackerRejected("bad_session");
            Problems.send(ctx, 400, "Bad session", "a beacon session is 16 to 64 characters of [A-Za-z0-9_-]");
            return;
        }
        if (!admission.originAllowed(ctx.request().getHeader("Origin"), ctx.request().getHeader("Host"))) {
            metrics.trackerRejected("origin");
            Problems.send(ctx, 403, "Forbidden", "pages from this origin may not use this edge's tracker");
            return;
        }
        String address = ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().host();
        if (!admission.acquire(address)) {
            metrics.trackerRejected("too_many_sockets");
            ctx.response().putHeader("Retry-After", "10");
            Problems.send(ctx, 429, "Too many tracker sockets", "this address holds as many tracker sockets as one address may");
            return;
        }
        ctx.request().toWebSocket().onSuccess(ws -> serve(stream, session, ws, () -> admission.release(address))).onFailure(e -> {
            admission.release(address);
            metrics.trackerRejected("not_websocket");
        });
    }

    static boolean isSession(String s) {
        return s.length() >= 16 && s.length() <= 64 && s.chars().allMatch(c -> c == '-' || c == '_' || Character.isLetterOrDigit(c) && c < 128);
    }

    private void serve(String stream, String session, ServerWebSocket ws, Runnable release) {
        var state = new Object() {
            TrackerPeer peer;
            long windowStart = System.currentTimeMillis();
            int inWindow;
        };
        int maxPerSecond = settings.limits().maxTrackerMessagesPerSecond();
        int maxPeers = maxPeers(stream);
        ws.textMessageHandler(text -> {
            if (text.length() > MAX_MESSAGE_BYTES) {
                close(ws, new Tracker.Close((short) 1009, "message larger than " + MAX_MESSAGE_BYTES + " bytes"), "too_large");
                return;
            }
            long now = System.currentTimeMillis();
            if (now - state.windowStart >= 1000) {
                state.windowStart = now;
                state.inWindow = 0;
            }
            if (++state.inWindow > maxPerSecond) {
                close(ws, new Tracker.Close((short) 1008, "more than " + maxPerSecond + " messages per second"), "flood");
                return;
            }
            try {
                state.peer = tracker.announce(stream, maxPeers, state.peer, ws, session, new JsonObject(text));
            } catch (DecodeException | ClassCastException e) {
                close(ws, new Tracker.Close((short) 1007, "not a JSON object"), "malformed");
            } catch (Tracker.Violation v) {
                close(ws, v.close(), v.close().code() == 4409 ? "peer_id_in_use" : "protocol");
            }
        });
        ws.binaryMessageHandler(b -> close(ws, new Tracker.Close((short) 1003, "text messages only"), "binary"));
        ws.closeHandler(v -> {
            release.run();
            tracker.closed(state.peer);
        });
    }

    private void close(ServerWebSocket ws, Tracker.Close close, String reason) {
        metrics.trackerRejected(reason);
        if (!ws.isClosed()) {
            ws.close(close.code(), close.reason());
        }
    }

    /**
     * {@code {"http": bytes, "p2p": bytes}} from the player page: what it got from the edge and from peers since its last
     * beacon. Optionally also {@code uploaded} (bytes sent to peers), {@code p2pSegments} and {@code p2pFailures}
     * (segments got from peers, and downloads from peers that failed or were refused) and {@code session} (the secret the
     * page opened its tracker socket with): those feed the super-peer rule ({@link PartnerRanking}), and the answer is
     * then {@code 200 {"role": "first"|"wait"|"free", "next": <role from the next term>, "nextInMs": <when>}};
     * otherwise {@code 204}.
     */
    private void beacon(RoutingContext ctx) {
        Optional<StreamRuntime> runtime = meshStream(ctx);
        if (runtime.isEmpty()) {
            return;
        }
        String stream = runtime.get().spec().name();
        BoundedBody.read(ctx, MAX_BEACON_BYTES, body -> {
            long http;
            long p2p;
            PartnerRanking.Report report;
            String session;
            try {
                JsonObject m = body.toJsonObject();
                http = bytes(m, "http");
                p2p = bytes(m, "p2p");
                report = new PartnerRanking.Report(http, p2p, optionalBytes(m, "uploaded"), optionalBytes(m, "p2pSegments"),
                        optionalBytes(m, "p2pFailures"));
                Object s = m.getValue("session");
                if (s != null && !(s instanceof String str && isSession(str))) {
                    throw new IllegalArgumentException("session");
                }
                session = (String) s;
            } catch (RuntimeException e) {
                metrics.trackerRejected("bad_beacon");
                Problems.send(ctx, 400, "Bad beacon", "expected {\"http\": bytes, \"p2p\": bytes} and optionally uploaded, p2pSegments, "
                        + "p2pFailures (each in [0, 1e10]) and session (16-64 of [A-Za-z0-9_-])");
                return;
            }
            metrics.meshBytes(stream, http, p2p);
            Cors.apply(ctx.response());
            Tracker.Roles roles = session == null ? null : tracker.report(stream, session, report, System.currentTimeMillis());
            if (roles == null) {
                ctx.response().setStatusCode(204).end();
            } else {
                ctx.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
                        .end(new JsonObject().put("role", name(roles.now())).put("next", name(roles.next()))
                                .put("nextInMs", roles.nextInMillis()).encode());
            }
        }, () -> Problems.send(ctx, 413, "Payload too large", "a beacon is at most " + MAX_BEACON_BYTES + " bytes"));
    }

    private static String name(PartnerRanking.Role role) {
        return role.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static long optionalBytes(JsonObject m, String field) {
        return m.getValue(field) == null ? 0 : bytes(m, field);
    }

    private static long bytes(JsonObject m, String field) {
        Object v = m.getValue(field);
        if (!(v instanceof Number n) || n.doubleValue() < 0 || n.doubleValue() > MAX_BEACON_VALUE || n.doubleValue() != Math.floor(n.doubleValue())) {
            throw new IllegalArgumentException(field);
        }
        return n.longValue();
    }
}

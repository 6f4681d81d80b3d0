package io.stripecast.relay.admin;

import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.http.Problems;
import io.stripecast.relay.push.DataPlane;
import io.vertx.core.http.HttpMethod;
import io.quarkus.vertx.http.ManagementInterface;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * {@code GET /admin/drain}: drains this relay (its children move to other parents) while it keeps serving, for an
 * operator who wants a relay out before stopping it. In Kubernetes the relay drains itself on SIGTERM, so pods need no
 * preStop hook (which would have to carry the token in the pod spec); the token comes from the pool's Secret
 * {@code <pool>-drain-token} (random, made by the operator) through a secretKeyRef. The route is guarded by that token,
 * compared in constant time, lives on the management port only (never the public one), and without a configured
 * token it refuses (403). It answers once the children have moved (or the drain grace ran out).
 */
@ApplicationScoped
public class DrainRoute {
    public static final String TOKEN_HEADER = "X-Stripecast-Drain-Token";

    @Inject
    RelaySettings settings;
    @Inject
    DataPlane dataPlane;

    void register(@Observes ManagementInterface management) {
        management.router().route(HttpMethod.GET, "/admin/drain").handler(this::drain);
    }

    private void drain(RoutingContext ctx) {
        if (settings.relay().drainToken().filter(t -> !t.isBlank()).isEmpty()) {
            Problems.send(ctx, 403, "Forbidden", "drain is refused: no drain token is configured on this relay");
            return;
        }
        String given = ctx.request().getHeader(TOKEN_HEADER);
        if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
                settings.relay().drainToken().get().getBytes(StandardCharsets.UTF_8))) {
            Problems.send(ctx, 403, "Forbidden", "missing or wrong " + TOKEN_HEADER);
            return;
        }
        ctx.vertx().executeBlocking(() -> {
            dataPlane.drain();
            return null;
        }, false).onComplete(done -> ctx.response().putHeader("Content-Type", "text/plain").end("drained\n"));
    }
}

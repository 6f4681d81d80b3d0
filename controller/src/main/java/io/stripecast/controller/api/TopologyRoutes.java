package io.stripecast.controller.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stripecast.controller.control.Coordinator;
import io.stripecast.controller.forest.Forest;
import io.stripecast.protocol.Names;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.quarkus.vertx.http.ManagementInterface;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The topology API: {@code GET /api/v1/streams}, {@code /api/v1/streams/{name}/forest} (per stripe
 * the tree, depths, fanouts, and the invariant check) and {@code /api/v1/relays}.
 */
@ApplicationScoped
public class TopologyRoutes {
    @Inject
    Coordinator coordinator;
    @Inject
    ObjectMapper json;

    /** One stripe tree as the API shows it. */
    public record StripeTree(int stripe, int depth, Map<String, String> parents, Map<String, Integer> children,
                             Map<String, Integer> depths) {
    }

    /**
     * A stream's forest as the API shows it; {@code relaxed} lists the relays placed by relaxing a bound and
     * {@code check.relaxations} what each relaxes (DESIGN.md, "Never go dark").
     */
    public record ForestView(String stream, int k, int m, String carriage, String root, int relays, List<StripeTree> stripes,
                             Map<String, Integer> interiorStripe, Object check, int repairs, long lastRepairMillis,
                             double bitrateMbps, List<String> relaxed) {
    }

    /** A stream in the list; {@code relaxed}: per relaxation in force ({@code DepthRelaxed}, ...), its relays. */
    public record StreamSummary(String name, int k, int m, String carriage, String ingestRelay, int relays, List<Integer> depths,
                                boolean sound, int repairs, Map<String, Integer> relaxed) {
    }

    /**
     * On the management interface only: the API and its page are read-only, but they name every relay and its
     * address, so they are not for the public (no wildcard CORS either: the page is served from the same origin).
     */
    void register(@Observes ManagementInterface management) {
        var router = management.router();
        router.route(HttpMethod.GET, "/").handler(ctx -> page(ctx));
        router.route(HttpMethod.GET, "/topology").handler(ctx -> page(ctx));
        router.route(HttpMethod.GET, "/api/v1/streams").blockingHandler(this::streams, false);
        router.route(HttpMethod.GET, "/api/v1/streams/:name/forest").blockingHandler(this::forest, false);
        router.route(HttpMethod.GET, "/api/v1/relays").blockingHandler(ctx -> send(ctx, 200, coordinator.relays()), false);
    }

    private static final byte[] PAGE = readPage();

    private static byte[] readPage() {
        try (var in = TopologyRoutes.class.getResourceAsStream("/topology/index.html")) {
            return in == null ? new byte[0] : in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void page(RoutingContext ctx) {
        ctx.response().putHeader("Content-Type", "text/html; charset=utf-8").putHeader("Cache-Control", "no-store")
                .end(io.vertx.core.buffer.Buffer.buffer(PAGE));
    }

    private void streams(RoutingContext ctx) {
        List<StreamSummary> out = new ArrayList<>();
        for (String name : coordinator.streamNames()) {
            Coordinator.StreamView v = coordinator.view(name);
            List<Integer> depths = new ArrayList<>();
            for (int i = 0; i < v.forest().stripes() && !v.forest().isEmpty(); i++) {
                depths.add(v.forest().treeDepth(i));
            }
            Map<String, Integer> relaxed = new LinkedHashMap<>();
            v.check().relaxations().relays().forEach((r, ids) -> relaxed.put(r.reason(), ids.size()));
            out.add(new StreamSummary(v.name(), v.k(), v.m(), v.carriage(), v.ingestRelay(), v.forest().size(), depths,
                    v.check().ok(), v.repairs(), relaxed));
        }
        send(ctx, 200, out);
    }

    private void forest(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        Coordinator.StreamView v = Names.isStreamName(name) ? coordinator.view(name) : null;
        if (v == null) {
            ctx.response().setStatusCode(404).putHeader("Content-Type", "application/problem+json")
                    .end(new JsonObject().put("title", "Not found").put("status", 404).put("detail", "no stream " + name).encode());
            return;
        }
        send(ctx, 200, view(v));
    }

    static ForestView view(Coordinator.StreamView v) {
        Forest f = v.forest();
        List<StripeTree> stripes = new ArrayList<>();
        Map<String, Integer> interior = new TreeMap<>();
        if (!f.isEmpty()) {
            for (int i = 0; i < f.stripes(); i++) {
                Map<String, Integer> children = new TreeMap<>();
                Map<String, Integer> depths = new TreeMap<>();
                for (String id : f.members()) {
                    int c = f.children(i, id).size();
                    if (c > 0) {
                        children.put(id, c);
                    }
                    depths.put(id, f.depth(i, id));
                }
                stripes.add(new StripeTree(i, f.treeDepth(i), new TreeMap<>(f.parents(i)), children, depths));
            }
            for (String id : f.members()) {
                if (f.interiorStripe(id) >= 0 && !id.equals(f.root())) {
                    interior.put(id, f.interiorStripe(id));
                }
            }
        }
        return new ForestView(v.name(), v.k(), v.m(), v.carriage(), f.isEmpty() ? null : f.root(), f.size(), stripes, interior,
                v.check(), v.repairs(), v.lastRepairMillis(), v.bitrateMbps(), new TreeSet<>(f.relaxed()).stream().toList());
    }

    private void send(RoutingContext ctx, int status, Object body) {
        try {
            ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                    .putHeader("Cache-Control", "no-store")
                    .end(json.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            ctx.fail(e);
        }
    }
}

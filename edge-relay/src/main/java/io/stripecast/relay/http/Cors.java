package io.stripecast.relay.http;

import io.vertx.core.http.HttpServerResponse;

/** CORS for browser players: playback is public, so any origin may read it. */
public final class Cors {
    private Cors() {
    }

    public static void apply(HttpServerResponse response) {
        response.putHeader("Access-Control-Allow-Origin", "*")
                .putHeader("Access-Control-Expose-Headers", "Content-Length, Content-Type, Age");
    }

    public static void preflight(HttpServerResponse response) {
        apply(response);
        response.putHeader("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
                .putHeader("Access-Control-Allow-Headers", "Range, Origin, Accept")
                .putHeader("Access-Control-Max-Age", "86400")
                .setStatusCode(204)
                .end();
    }
}

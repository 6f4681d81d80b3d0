package io.stripecast.relay.mesh;

import io.vertx.core.http.ServerWebSocket;

/** One viewer's tracker socket, with the peer id it announced. */
record TrackerPeer(String id, String stream, ServerWebSocket socket) {
    void send(String json) {
        if (!socket.isClosed()) {
            socket.writeTextMessage(json);
        }
    }
}

package io.stripecast.relay.mesh;

import io.vertx.core.http.ServerWebSocket;

/**
 * One viewer's tracker socket, with the peer id it announced and the beacon session its page opened the socket with
 * (a secret of the page's, never sent to peers; null when none): the page's stats beacon names it, so beacons count for
 * this peer only.
 */
record TrackerPeer(String id, String stream, ServerWebSocket socket, String session) {
    void send(String json) {
        if (!socket.isClosed()) {
            socket.writeTextMessage(json);
        }
    }
}

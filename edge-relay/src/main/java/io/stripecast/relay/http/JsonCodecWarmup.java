package io.stripecast.relay.http;

import io.quarkus.runtime.StartupEvent;
import io.vertx.core.json.JsonObject;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Initialises Vert.x's JSON codec (Jackson behind it) at start-up. Left lazy, the first JSON a relay writes
 * (usually a 404 problem answer to a player that asked before the stream arrived, or a tracker message) loads
 * Jackson's classes on an event loop: the lab saw that block the loop for 2.2 s on every one of 16 relays
 * sharing two cores, with ingest PUTs and shard traffic of the same loop waiting behind it.
 */
@ApplicationScoped
public class JsonCodecWarmup {
    void onStart(@Observes StartupEvent event) {
        new JsonObject().put("warm", true).encode();
    }
}

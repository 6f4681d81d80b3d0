package io.stripecast.relay.topology;

/** A parent relay in one stripe: its id and its gRPC data-plane address (host:port). */
public record ParentRef(String relayId, String address) {
}

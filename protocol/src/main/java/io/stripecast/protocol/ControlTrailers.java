package io.stripecast.protocol;

import io.grpc.Metadata;

/** gRPC trailers of the control plane: part of the contract between relay and controller, like the protos. */
public final class ControlTrailers {
    /** A standby controller refuses a relay with UNAVAILABLE and names the leader's control-plane address here. */
    public static final Metadata.Key<String> LEADER = Metadata.Key.of("stripecast-leader", Metadata.ASCII_STRING_MARSHALLER);

    private ControlTrailers() {
    }
}

package io.stripecast.relay.control;

import io.grpc.Metadata;
import io.grpc.Status;
import io.stripecast.protocol.ControlTrailers;

import java.util.regex.Pattern;

/**
 * A standby controller ends the session with UNAVAILABLE and the leader's control-plane address in a trailer.
 * The address comes from the network, so it is checked before the relay dials it.
 */
public final class LeaderRedirect {
    private static final Pattern HOST_PORT = Pattern.compile("[A-Za-z0-9.\\-]{1,253}:[0-9]{1,5}|\\[[0-9a-fA-F:.]{2,45}\\]:[0-9]{1,5}");

    private LeaderRedirect() {
    }

    /** The leader address a standby named, or null when the failure was anything else. */
    static String from(Throwable failure) {
        if (failure == null || Status.fromThrowable(failure).getCode() != Status.Code.UNAVAILABLE) {
            return null;
        }
        Metadata trailers = Status.trailersFromThrowable(failure);
        String leader = trailers == null ? null : trailers.get(ControlTrailers.LEADER);
        return isAddress(leader) ? leader : null;
    }

    static boolean isAddress(String value) {
        if (value == null || !HOST_PORT.matcher(value).matches()) {
            return false;
        }
        int port = Integer.parseInt(value.substring(value.lastIndexOf(':') + 1));
        return port >= 1 && port <= 65535;
    }
}

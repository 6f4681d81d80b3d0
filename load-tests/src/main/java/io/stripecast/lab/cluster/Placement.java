package io.stripecast.lab.cluster;

import java.util.List;

/**
 * Where a service runs: the address it binds (and others reach it at), and the command that puts it
 * there ({@code ip netns exec <ns>}, or nothing on the host).
 */
public record Placement(String host, List<String> commandPrefix) {
    public static final Placement LOOPBACK = new Placement("127.0.0.1", List.of());

    public Placement {
        commandPrefix = List.copyOf(commandPrefix);
    }

    public boolean isLoopback() {
        return commandPrefix.isEmpty() && host.equals("127.0.0.1");
    }
}

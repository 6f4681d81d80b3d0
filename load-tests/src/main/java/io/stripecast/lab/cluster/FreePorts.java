package io.stripecast.lab.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports for the services a test starts. They come from below Linux's ephemeral range
 * (32768-60999): a port picked there can be taken by any outgoing connection between the check
 * and the service binding it. Each port is handed out once per JVM.
 */
public final class FreePorts {
    private static final int LOW = 10_000;
    private static final int HIGH = 32_000;
    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    private FreePorts() {
    }

    public static synchronized int next() {
        return range(1);
    }

    /** The first of {@code n} consecutive free ports. */
    public static synchronized int range(int n) {
        for (int attempt = 0; attempt < 1000; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(LOW, HIGH - n);
            boolean free = true;
            for (int p = base; p < base + n && free; p++) {
                free = !HANDED_OUT.contains(p) && bindable(p);
            }
            if (free) {
                for (int p = base; p < base + n; p++) {
                    HANDED_OUT.add(p);
                }
                return base;
            }
        }
        throw new IllegalStateException("no free loopback port range of " + n);
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return true;
        } catch (IOException taken) {
            return false;
        }
    }
}

package io.stripecast.lab.cluster;

import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * Names, addresses and commands of the lab's private network: one bridge in the host namespace and,
 * per relay, a network namespace joined to it by a veth pair; or, with the userspace link emulator
 * ({@link TunNetwork}), per relay a namespace holding one TUN device, and one TUN in the host
 * namespace, all opened by the emulator. Everything is named with the lab's
 * prefix and a run tag (interface names stay within Linux's 15 characters) and addressed inside one
 * private 10.x.0.0/16, so nothing here can touch a real interface or route. Pure: no commands run.
 *
 * @param tag    4 hex digits that tell this run's objects from another run's
 * @param second the x of 10.x.0.0/16
 */
public record NetnsPlan(String tag, int second) {
    public static final String PREFIX = "sclab";

    public NetnsPlan {
        if (!tag.matches("[0-9a-f]{4}")) {
            throw new IllegalArgumentException("tag must be 4 hex digits: " + tag);
        }
        if (second < 0 || second > 255) {
            throw new IllegalArgumentException("10.x: x out of range: " + second);
        }
    }

    /**
     * A plan with a fresh tag on a 10.x.0.0/16 (x in 200..249) that none of the host's routes
     * ({@code ip -4 route show table all}) mentions.
     */
    public static NetnsPlan fresh(String routes, RandomGenerator random) {
        for (int attempt = 0; attempt < 50; attempt++) {
            int x = random.nextInt(200, 250);
            if (!routes.contains("10." + x + ".")) {
                byte[] tag = new byte[2];
                random.nextBytes(tag);
                return new NetnsPlan(HexFormat.of().formatHex(tag), x);
            }
        }
        throw new IllegalStateException("no free 10.x.0.0/16 for the lab's network");
    }

    public String bridge() {
        return PREFIX + "b" + tag;
    }

    /** The bridge's address: the controller and the lab itself are reached there from every namespace. */
    public String hostAddress() {
        return "10." + second + ".0.1";
    }

    public String subnet() {
        return "10." + second + ".0.0/16";
    }

    /** Namespace of the relay with index {@code i} (its slot). */
    public String namespace(int i) {
        return PREFIX + "-" + tag + "-" + i;
    }

    /** Host end of relay {@code i}'s veth (on the bridge): its shaping shapes what the relay receives. */
    public String hostVeth(int i) {
        return String.format(Locale.ROOT, "sch%s%d", tag, i);
    }

    /** Namespace end of relay {@code i}'s veth: its shaping shapes what the relay sends. */
    public String nsVeth(int i) {
        return String.format(Locale.ROOT, "scn%s%d", tag, i);
    }

    /** Relay {@code i}'s address (slot 0..63998): 10.x.a.b with b in 1..250, never 10.x.0.1 (the bridge) nor a broadcast. */
    public String address(int i) {
        int n = i + 1;
        if (n < 1 || n > 63_999) {
            throw new IllegalArgumentException("slot out of range: " + i);
        }
        return "10." + second + "." + (n / 250) + "." + (n % 250 + 1);
    }

    /** The emulator's TUN in the host namespace (it carries the host address). */
    public String hostTun() {
        return PREFIX + "t" + tag;
    }

    /** The emulator's TUN inside relay {@code i}'s namespace (it carries the relay's address). */
    public String tun(int i) {
        return String.format(Locale.ROOT, "sct%s%d", tag, i);
    }

    /** A throwaway namespace to find out whether {@code tc} can attach netem on this kernel. */
    public String probeNamespace() {
        return PREFIX + "-" + tag + "-probe";
    }

    public List<List<String>> createBridge() {
        return List.of(
                List.of("ip", "link", "add", bridge(), "type", "bridge"),
                List.of("ip", "addr", "add", hostAddress() + "/16", "dev", bridge()),
                List.of("ip", "link", "set", bridge(), "up"));
    }

    public List<List<String>> createRelayNamespace(int i) {
        String ns = namespace(i);
        return List.of(
                List.of("ip", "netns", "add", ns),
                List.of("ip", "link", "add", hostVeth(i), "type", "veth", "peer", "name", nsVeth(i)),
                List.of("ip", "link", "set", nsVeth(i), "netns", ns),
                List.of("ip", "link", "set", hostVeth(i), "master", bridge()),
                List.of("ip", "link", "set", hostVeth(i), "up"),
                List.of("ip", "-n", ns, "addr", "add", address(i) + "/16", "dev", nsVeth(i)),
                List.of("ip", "-n", ns, "link", "set", nsVeth(i), "up"),
                List.of("ip", "-n", ns, "link", "set", "lo", "up"));
    }

    /** A namespace with only loopback up: the emulator adds the relay's TUN (and address) to it. */
    public List<List<String>> createTunNamespace(int i) {
        String ns = namespace(i);
        return List.of(
                List.of("ip", "netns", "add", ns),
                List.of("ip", "-n", ns, "link", "set", "lo", "up"));
    }

    /** Runs a command inside relay {@code i}'s namespace. */
    public List<String> inNamespace(int i) {
        return List.of("ip", "netns", "exec", namespace(i));
    }

    /** Cutting the host end drops every packet both ways without a reset: a silent partition. */
    public List<String> cut(int i) {
        return List.of("ip", "link", "set", hostVeth(i), "down");
    }

    public List<String> heal(int i) {
        return List.of("ip", "link", "set", hostVeth(i), "up");
    }

    /** Deleting a namespace deletes the veth end inside it, and with it the host end. */
    public List<String> deleteNamespace(int i) {
        return List.of("ip", "netns", "del", namespace(i));
    }

    public List<String> deleteBridge() {
        return List.of("ip", "link", "del", bridge());
    }
}

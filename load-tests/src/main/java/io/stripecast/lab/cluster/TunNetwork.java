package io.stripecast.lab.cluster;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Each relay in its own network namespace, its only link a TUN device that the userspace link emulator
 * ({@link LinkEmulator}, {@code sclab-link}) holds, as it holds one in the host namespace for the
 * controller, the lab's viewers and ffmpeg at the host address. The emulator switches IPv4 packets
 * between them through the sender's uplink and the receiver's downlink, each with its delay, loss and
 * rate: what {@link NetnsNetwork} does with {@code tc netem}, on kernels that have no netem. Needs root.
 * The TUNs vanish with the emulator; the namespaces are removed on {@link #close()}, and by a shutdown
 * hook if the lab dies first.
 */
public final class TunNetwork implements RelayNetwork {
    /** The emulator's name for the host's endpoint (a relay id never is). */
    static final String HOST = "host";
    /** Loss draws are seeded, so a run's n-th packet on a link meets the same draw every time. */
    static final long SEED = 1;

    private final NetnsPlan plan;
    private final LinkShape defaultShape;
    private final LinkEmulator emulator;
    private final Map<String, Integer> slots = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private final Thread cleanup = new Thread(this::removeAll, "tun-cleanup");
    private boolean closed;

    private TunNetwork(NetnsPlan plan, LinkShape defaultShape, LinkEmulator emulator) {
        this.plan = plan;
        this.defaultShape = defaultShape;
        this.emulator = emulator;
    }

    /**
     * Starts the emulator (built first if needed) with the host's TUN on a fresh 10.x.0.0/16; the notes
     * start with {@code firstNote} (why the emulator shapes the links) unless null.
     */
    public static TunNetwork create(LinkShape defaultShape, LinkEmulatorBuild build, String firstNote) throws IOException, InterruptedException {
        Path binary = build.build();
        NetnsPlan plan = NetnsNetwork.freshPlan();
        TunNetwork n = new TunNetwork(plan, defaultShape, LinkEmulator.start(binary, SEED));
        Runtime.getRuntime().addShutdownHook(n.cleanup);
        try {
            n.emulator.add(HOST, null, plan.hostTun(), plan.hostAddress() + "/16");
        } catch (IOException | RuntimeException e) {
            n.close();
            throw e;
        }
        if (firstNote != null) {
            n.notes.add(firstNote);
        }
        n.notes.add("relays in network namespaces, each on a TUN of the userspace link emulator (" + plan.hostTun() + ", "
                + plan.subnet() + ", loss seed " + SEED + "), link shape " + defaultShape + " on every relay's uplink and downlink");
        return n;
    }

    @Override
    public Placement controller() {
        return new Placement(plan.hostAddress(), List.of());
    }

    @Override
    public synchronized Placement relay(String relayId) throws IOException, InterruptedException {
        Integer slot = slots.get(relayId);
        if (slot == null) {
            if (relayId.equals(HOST)) {
                throw new IllegalArgumentException("'" + HOST + "' is the emulator's name for the host");
            }
            slot = slots.size();
            slots.put(relayId, slot);
            for (List<String> cmd : plan.createTunNamespace(slot)) {
                Shell.run(cmd);
            }
            emulator.add(relayId, plan.namespace(slot), plan.tun(slot), plan.address(slot) + "/16");
            if (!defaultShape.isNone()) {
                emulator.shape(relayId, defaultShape);
            }
        }
        return new Placement(plan.address(slot), plan.inNamespace(slot));
    }

    @Override
    public synchronized boolean cut(String relayId) throws IOException, InterruptedException {
        emulator.cut(known(relayId));
        return true;
    }

    @Override
    public synchronized boolean heal(String relayId) throws IOException, InterruptedException {
        emulator.heal(known(relayId));
        return true;
    }

    @Override
    public synchronized boolean shape(String relayId, LinkShape shape) throws IOException, InterruptedException {
        emulator.shape(known(relayId), shape);
        return true;
    }

    NetnsPlan plan() {
        return plan;
    }

    /** The emulator's counters now. */
    public LinkEmulatorStats stats() throws IOException, InterruptedException {
        return emulator.stats();
    }

    /** What was set up, and the emulator's forward and drop counts so far. */
    @Override
    public synchronized List<String> notes() {
        List<String> out = new ArrayList<>(notes);
        if (!closed && emulator.alive()) {
            try {
                out.add(emulator.stats().summary(HOST) + emulator.cpu()
                        .map(d -> String.format(java.util.Locale.ROOT, "; it used %.1f s of CPU", d.toMillis() / 1000.0)).orElse(""));
            } catch (IOException e) {
                out.add("userspace link emulator: no stats (" + e.getMessage() + ")");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            out.add("userspace link emulator: not running any more, no stats");
        }
        return out;
    }

    private String known(String relayId) {
        if (!slots.containsKey(relayId)) {
            throw new IllegalArgumentException("relay " + relayId + " has no namespace");
        }
        return relayId;
    }

    @Override
    public synchronized void close() {
        removeAll();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException shuttingDown) {
            // Already running as the hook.
        }
    }

    /** The emulator first (its TUNs hold the namespaces), then the namespaces. */
    private synchronized void removeAll() {
        if (closed) {
            return;
        }
        closed = true;
        emulator.close();
        for (int slot : slots.values()) {
            Shell.runQuietly(plan.deleteNamespace(slot));
        }
    }
}

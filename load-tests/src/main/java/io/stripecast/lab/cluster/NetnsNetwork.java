package io.stripecast.lab.cluster;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Each relay in its own network namespace, joined by a veth pair to one bridge in the host
 * namespace that carries the controller, the lab's viewers and ffmpeg ({@link NetnsPlan} names and
 * addresses it all). Needs root. Links are shaped with {@code tc netem}, or with a token bucket for the
 * rate alone when the kernel has no netem (then delay and loss are not applied, and the notes say so;
 * {@link TunNetwork} applies them in userspace instead).
 * Everything it created is removed on {@link #close()}, and by a shutdown hook if the lab dies first.
 */
public final class NetnsNetwork implements RelayNetwork {
    private final NetnsPlan plan;
    private final LinkShape defaultShape;
    private final Map<String, Integer> slots = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private final Thread cleanup = new Thread(this::removeAll, "netns-cleanup");
    private boolean bridgeUp;
    private Boolean netem;
    private boolean closed;

    private NetnsNetwork(NetnsPlan plan, LinkShape defaultShape) {
        this.plan = plan;
        this.defaultShape = defaultShape;
    }

    /** Why namespaces cannot be used here, or null when they can. */
    public static String unavailableBecause() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "network namespaces need root (ip netns); running as " + System.getProperty("user.name");
        }
        try {
            Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return "ip netns does not work here";
            }
        } catch (IOException e) {
            return "no ip command: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        return null;
    }

    /** A fresh bridge on a 10.x.0.0/16 that no route of this host uses yet. */
    public static NetnsNetwork create(LinkShape defaultShape) throws IOException, InterruptedException {
        return create(defaultShape, null);
    }

    /** The same, its notes starting with {@code firstNote} (why tc shapes the links) unless null. */
    public static NetnsNetwork create(LinkShape defaultShape, String firstNote) throws IOException, InterruptedException {
        NetnsNetwork n = new NetnsNetwork(freshPlan(), defaultShape);
        if (firstNote != null) {
            n.notes.add(firstNote);
        }
        Runtime.getRuntime().addShutdownHook(n.cleanup);
        try {
            for (List<String> cmd : n.plan.createBridge()) {
                run(cmd);
            }
            n.bridgeUp = true;
        } catch (IOException | RuntimeException e) {
            n.close();
            throw e;
        }
        n.notes.add("relays in network namespaces on bridge " + n.plan.bridge() + " (" + n.plan.subnet() + "), link shape "
                + defaultShape);
        return n;
    }

    static NetnsPlan freshPlan() throws IOException, InterruptedException {
        try {
            return NetnsPlan.fresh(Shell.output(List.of("ip", "-4", "route", "show", "table", "all")), ThreadLocalRandom.current());
        } catch (IllegalStateException e) {
            throw new IOException(e.getMessage());
        }
    }

    /** Whether {@code tc} can attach netem on this kernel: tried on the loopback of a throwaway namespace. */
    public static boolean netemWorks() throws IOException, InterruptedException {
        NetnsPlan probe = freshPlan();
        String ns = probe.probeNamespace();
        run(List.of("ip", "netns", "add", ns));
        try {
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
            cmd.addAll(new LinkShape(1, 0, 0).netem("lo"));
            return runQuietly(cmd);
        } finally {
            runQuietly(List.of("ip", "netns", "del", ns));
        }
    }

    @Override
    public Placement controller() {
        return new Placement(plan.hostAddress(), List.of());
    }

    @Override
    public synchronized Placement relay(String relayId) throws IOException, InterruptedException {
        Integer slot = slots.get(relayId);
        if (slot == null) {
            slot = slots.size();
            slots.put(relayId, slot);
            for (List<String> cmd : plan.createRelayNamespace(slot)) {
                run(cmd);
            }
            if (!defaultShape.isNone()) {
                shape(relayId, defaultShape);
            }
        }
        return new Placement(plan.address(slot), plan.inNamespace(slot));
    }

    @Override
    public synchronized boolean cut(String relayId) throws IOException, InterruptedException {
        run(plan.cut(slot(relayId)));
        return true;
    }

    @Override
    public synchronized boolean heal(String relayId) throws IOException, InterruptedException {
        run(plan.heal(slot(relayId)));
        return true;
    }

    @Override
    public synchronized boolean shape(String relayId, LinkShape shape) throws IOException, InterruptedException {
        int i = slot(relayId);
        List<List<String>> cmds = new ArrayList<>();
        for (String dev : List.of(plan.hostVeth(i), plan.nsVeth(i))) {
            List<String> prefix = dev.equals(plan.nsVeth(i)) ? List.of("ip", "netns", "exec", plan.namespace(i)) : List.of();
            List<String> tc;
            if (shape.isNone()) {
                tc = LinkShape.clear(dev);
            } else if (netemAvailable()) {
                tc = shape.netem(dev);
            } else if (shape.rateMbit() > 0) {
                tc = shape.tbf(dev);
            } else {
                tc = null;
            }
            if (tc != null) {
                List<String> cmd = new ArrayList<>(prefix);
                cmd.addAll(tc);
                cmds.add(cmd);
            }
        }
        if (!netemAvailable() && shape.needsNetem()) {
            note("this kernel has no sch_netem: the delay and loss of '" + shape + "' are not applied"
                    + (shape.rateMbit() > 0 ? " (the rate is, with tbf)" : ""));
        }
        for (List<String> cmd : cmds) {
            if (shape.isNone()) {
                runQuietly(cmd); // nothing to delete is fine
            } else {
                run(cmd);
            }
        }
        return shape.isNone() || netemAvailable() || !shape.needsNetem();
    }

    /** Tries netem once on the bridge (deleted right after): kernels without sch_netem refuse it. */
    private boolean netemAvailable() throws IOException, InterruptedException {
        if (netem == null) {
            Process p = new ProcessBuilder(LinkShape.NONE.netem(plan.bridge())).redirectErrorStream(true).start();
            netem = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
            if (netem) {
                runQuietly(LinkShape.clear(plan.bridge()));
            }
        }
        return netem;
    }

    private void note(String s) {
        if (!notes.contains(s)) {
            notes.add(s);
        }
    }

    @Override
    public synchronized List<String> notes() {
        return List.copyOf(notes);
    }

    private int slot(String relayId) {
        Integer s = slots.get(relayId);
        if (s == null) {
            throw new IllegalArgumentException("relay " + relayId + " has no namespace");
        }
        return s;
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

    private synchronized void removeAll() {
        if (closed) {
            return;
        }
        closed = true;
        for (int slot : slots.values()) {
            runQuietly(plan.deleteNamespace(slot));
        }
        if (bridgeUp) {
            runQuietly(plan.deleteBridge());
        }
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Shell.run(cmd);
    }

    private static boolean runQuietly(List<String> cmd) {
        return Shell.runQuietly(cmd);
    }
}

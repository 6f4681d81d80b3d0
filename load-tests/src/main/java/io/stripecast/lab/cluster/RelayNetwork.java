package io.stripecast.lab.cluster;

import java.io.IOException;
import java.util.List;

/**
 * Where a cluster's processes sit on the network: all on loopback, or each relay in its own network
 * namespace so its link can be shaped and cut: on a veth shaped by {@code tc} ({@link NetnsNetwork}) or on a
 * TUN of the userspace link emulator ({@link TunNetwork}); {@link #namespaces} picks one.
 */
public interface RelayNetwork extends AutoCloseable {
    /** Where the controller binds (and relays, the lab and ffmpeg reach it). */
    Placement controller();

    /** Prepares a place for a relay (its namespace, veth and shaping when there are namespaces). */
    Placement relay(String relayId) throws IOException, InterruptedException;

    /** Drops every packet to and from the relay, silently; false when this network cannot. */
    boolean cut(String relayId) throws IOException, InterruptedException;

    boolean heal(String relayId) throws IOException, InterruptedException;

    /** Shapes the relay's link (both directions) from now on; false when this network cannot. */
    boolean shape(String relayId, LinkShape shape) throws IOException, InterruptedException;

    /** What this network did or could not do, for the report. */
    List<String> notes();

    @Override
    void close();

    /**
     * Every relay in its own namespace (root), its links shaped by the mechanism {@code linkEmulator}
     * ({@code auto}, {@code tc}, {@code userspace}: see {@link LinkMechanism#choose}) picks; the notes say which and why.
     */
    static RelayNetwork namespaces(LinkShape shape, String linkEmulator) throws IOException, InterruptedException {
        LinkEmulatorBuild build = LinkEmulatorBuild.locate();
        LinkMechanism.Choice choice = LinkMechanism.choose(linkEmulator, shape, () -> {
            try {
                return NetnsNetwork.netemWorks();
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }, build::unavailableBecause);
        return choice.mechanism() == LinkMechanism.USERSPACE
                ? TunNetwork.create(shape, build, choice.why())
                : NetnsNetwork.create(shape, choice.why());
    }

    /** Everything on 127.0.0.1: nothing to shape or cut. */
    static RelayNetwork loopback() {
        return new RelayNetwork() {
            @Override
            public Placement controller() {
                return Placement.LOOPBACK;
            }

            @Override
            public Placement relay(String relayId) {
                return Placement.LOOPBACK;
            }

            @Override
            public boolean cut(String relayId) {
                return false;
            }

            @Override
            public boolean heal(String relayId) {
                return false;
            }

            @Override
            public boolean shape(String relayId, LinkShape shape) {
                return shape.isNone();
            }

            @Override
            public List<String> notes() {
                return List.of();
            }

            @Override
            public void close() {
            }
        };
    }
}

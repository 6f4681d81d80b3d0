package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Lease-based leader election among controller replicas (Fabric8's elector on a coordination.k8s.io Lease).
 * The Lease holder's identity is {@code <controller id>@<control-plane address>}, so a standby learns from the
 * Lease itself where to redirect relays; no other object is needed.
 */
public final class Leadership {
    /** What happens as leadership moves. */
    public interface Listener {
        void startedLeading();

        void stoppedLeading();

        /** Another (or this) instance leads; {@code address} is its control-plane address, or null if it published none. */
        void leaderIs(String identity, String address);
    }

    /**
     * @param lease      name and namespace of the Lease all replicas compete for
     * @param identity   this instance's holder identity, see {@link #identity}
     */
    public record Settings(String namespace, String lease, String identity, Duration leaseDuration, Duration renewDeadline,
                           Duration retryPeriod) {
    }

    private final KubernetesClient client;
    private final Settings settings;
    private final Listener listener;
    private CompletableFuture<?> running;
    private boolean stopped;
    private final java.util.concurrent.atomic.AtomicBoolean leading = new java.util.concurrent.atomic.AtomicBoolean();

    public Leadership(KubernetesClient client, Settings settings, Listener listener) {
        this.client = client;
        this.settings = settings;
        this.listener = listener;
    }

    /** The holder identity for a controller: its id and, when known, the address relays reach it at. */
    public static String identity(String controllerId, String advertiseAddress) {
        return advertiseAddress == null || advertiseAddress.isBlank() ? controllerId : controllerId + "@" + advertiseAddress;
    }

    /** The control-plane address inside a holder identity, or null. */
    public static String addressOf(String identity) {
        int at = identity == null ? -1 : identity.lastIndexOf('@');
        return at < 0 ? null : identity.substring(at + 1);
    }

    /** Starts competing for the Lease in the background; callbacks arrive on the elector's threads. */
    public synchronized void start() {
        Consumer<String> newLeader = id -> listener.leaderIs(id, addressOf(id));
        var config = new LeaderElectionConfigBuilder()
                .withName("stripecast-controller")
                .withLock(new LeaseLock(settings.namespace(), settings.lease(), settings.identity()))
                .withLeaseDuration(settings.leaseDuration())
                .withRenewDeadline(settings.renewDeadline())
                .withRetryPeriod(settings.retryPeriod())
                .withLeaderCallbacks(new LeaderCallbacks(this::started, this::lost, newLeader))
                // A stopping leader hands the Lease over at once instead of making the standby wait it out.
                .withReleaseOnCancel(true)
                .build();
        running = client.leaderElector().withConfig(config).build().start();
        // The elector can also end without calling back (its client closed, its thread failed): a leader that
        // is no longer renewing must learn it, or two instances would plan at once.
        running.whenComplete((result, failure) -> {
            synchronized (this) {
                if (stopped) {
                    return;
                }
            }
            lost();
        });
    }

    private void started() {
        leading.set(true);
        listener.startedLeading();
    }

    private void lost() {
        if (leading.compareAndSet(true, false)) {
            listener.stoppedLeading();
        }
    }

    /** Stops competing (and releases the Lease if held). */
    public synchronized void stop() {
        stopped = true;
        if (running != null) {
            running.cancel(true);
            running = null;
        }
    }
}

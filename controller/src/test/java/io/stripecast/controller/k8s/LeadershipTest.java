package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Two controller instances on one API server: one leads, the other stands by knowing where, and takes over. */
@EnableKubernetesMockClient(crud = true)
class LeadershipTest {
    static KubernetesClient client;
    static KubernetesMockServer server;

    private final List<Leadership> started = new ArrayList<>();

    /** What one instance saw; "planning" stands for the coordinator being active. */
    static final class Instance implements Leadership.Listener {
        final AtomicBoolean planning = new AtomicBoolean();
        final AtomicBoolean lost = new AtomicBoolean();
        final AtomicReference<String> leaderAddress = new AtomicReference<>();

        @Override
        public void startedLeading() {
            planning.set(true);
        }

        @Override
        public void stoppedLeading() {
            planning.set(false);
            lost.set(true);
        }

        @Override
        public void leaderIs(String identity, String address) {
            leaderAddress.set(address);
        }
    }

    private Leadership start(String id, String address, Instance instance, Duration lease) {
        return start(client, id, address, instance, lease);
    }

    private Leadership start(KubernetesClient client, String id, String address, Instance instance, Duration lease) {
        Leadership l = new Leadership(client, new Leadership.Settings("test", "stripecast-controller-leader",
                Leadership.identity(id, address), lease, lease.multipliedBy(2).dividedBy(3), Duration.ofMillis(100)), instance);
        l.start();
        started.add(l);
        return l;
    }

    @AfterEach
    void stopAll() {
        started.forEach(Leadership::stop);
    }

    @Test
    void onlyOneOfTwoPlansAndTheStandbyKnowsWhere() {
        Instance a = new Instance();
        Instance b = new Instance();
        start("controller-a", "10.0.0.1:9200", a, Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(10)).untilTrue(a.planning);
        start("controller-b", "10.0.0.2:9200", b, Duration.ofSeconds(2));

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(b.leaderAddress.get()).isEqualTo("10.0.0.1:9200"));
        // Several renewals of the 2 s lease pass (polled, not slept) while b keeps standing by.
        long until = System.currentTimeMillis() + 3_000;
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            assertThat(a.planning.get() && !b.planning.get()).as("exactly a plans").isTrue();
            return System.currentTimeMillis() > until;
        });
        assertThat(client.leases().inNamespace("test").withName("stripecast-controller-leader").get().getSpec().getHolderIdentity())
                .isEqualTo("controller-a@10.0.0.1:9200");
    }

    @Test
    void standbyTakesOverWhenTheLeaderStops() {
        Instance a = new Instance();
        Instance b = new Instance();
        Leadership leaderA = start("controller-a", "10.0.0.1:9200", a, Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(10)).untilTrue(a.planning);
        start("controller-b", "10.0.0.2:9200", b, Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> b.leaderAddress.get() != null);

        leaderA.stop();

        await().atMost(Duration.ofSeconds(15)).untilTrue(b.planning);
        assertThat(a.planning).isFalse();
        assertThat(client.leases().inNamespace("test").withName("stripecast-controller-leader").get().getSpec().getHolderIdentity())
                .isEqualTo("controller-b@10.0.0.2:9200");
    }

    @Test
    void standbyTakesOverWhenTheLeaderStopsRenewingWithoutReleasing() {
        Instance a = new Instance();
        Instance b = new Instance();
        // The leader gets its own connection; closing it is a crash or partition: no renewal and no release.
        KubernetesClient leaderClient = server.createClient();
        start(leaderClient, "controller-a", "10.0.0.1:9200", a, Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(10)).untilTrue(a.planning);
        start("controller-b", "10.0.0.2:9200", b, Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> b.leaderAddress.get() != null);

        leaderClient.close();

        await().atMost(Duration.ofSeconds(15)).untilTrue(b.planning);
        assertThat(client.leases().inNamespace("test").withName("stripecast-controller-leader").get().getSpec().getHolderIdentity())
                .isEqualTo("controller-b@10.0.0.2:9200");
        // a's own view is not checked here: with its connection closed its elector cannot even run callbacks,
        // as with a crashed process. A partitioned leader's renewals fail and Fabric8 calls stoppedLeading after
        // the renew deadline; OperatorLifecycle then exits.
    }

    @Test
    void identityCarriesTheControlPlaneAddress() {
        assertThat(Leadership.addressOf(Leadership.identity("controller-x", "10.1.2.3:9200"))).isEqualTo("10.1.2.3:9200");
        assertThat(Leadership.addressOf(Leadership.identity("controller-x", null))).isNull();
    }
}

package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.stripecast.controller.control.ControlServer;
import io.stripecast.controller.control.Coordinator;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the operator tests share: the mock API server's client, the controller's beans, fake relays. */
abstract class OperatorTestSupport {
    static final Duration WAIT = Duration.ofSeconds(20);

    @Inject
    KubernetesClient client;
    @Inject
    Coordinator coordinator;
    @Inject
    ControlServer server;

    ManagedChannel channel;
    final List<FakeRelay> relays = new ArrayList<>();

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    @AfterEach
    void close() throws InterruptedException {
        relays.forEach(FakeRelay::close);
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}

package io.stripecast.relay;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.stripecast.protocol.v1.Assignments;
import io.stripecast.protocol.v1.ControlPlaneGrpc;
import io.stripecast.protocol.v1.ControllerMessage;
import io.stripecast.protocol.v1.Demand;
import io.stripecast.protocol.v1.RelayMessage;
import io.stripecast.protocol.v1.Welcome;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

/**
 * A controller under the test's control: it welcomes the relay, announces the on-demand streams {@code vod0..vod49}
 * (and assigns none), and records every Demand the relay sends.
 */
public class FakeControllerResource implements QuarkusTestResourceLifecycleManager {
    public static final List<String> ANNOUNCED = IntStream.range(0, 50).mapToObj(i -> "vod" + i).toList();
    public static final List<Demand> DEMANDS = new CopyOnWriteArrayList<>();
    /** Arrival times (System.nanoTime) of the Demands, for the rate bound. */
    public static final List<Long> DEMAND_NANOS = new CopyOnWriteArrayList<>();
    private Server server;

    @Override
    public Map<String, String> start() {
        try {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(new ControlPlaneGrpc.ControlPlaneImplBase() {
                        @Override
                        public StreamObserver<RelayMessage> connect(StreamObserver<ControllerMessage> out) {
                            return new StreamObserver<>() {
                                @Override
                                public void onNext(RelayMessage m) {
                                    switch (m.getBodyCase()) {
                                        case HELLO -> {
                                            synchronized (out) {
                                                out.onNext(ControllerMessage.newBuilder().setWelcome(Welcome.newBuilder()
                                                        .setControllerId("fake").setHeartbeatMillis(1000)).build());
                                                out.onNext(ControllerMessage.newBuilder().setAssignments(Assignments.newBuilder()
                                                        .addAllOnDemandStreams(ANNOUNCED)).build());
                                            }
                                        }
                                        case DEMAND -> {
                                            DEMAND_NANOS.add(System.nanoTime());
                                            DEMANDS.add(m.getDemand());
                                        }
                                        default -> {
                                        }
                                    }
                                }

                                @Override
                                public void onError(Throwable t) {
                                }

                                @Override
                                public void onCompleted() {
                                }
                            };
                        }
                    })
                    .build().start();
            return Map.of("stripecast.relay.controller", "127.0.0.1:" + server.getPort(),
                    "stripecast.relay.on-demand-wait", "2s",
                    "stripecast.relay.demand-rate", "5",
                    "stripecast.relay.demand-burst", "10");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (server != null) {
            server.shutdownNow();
        }
    }
}

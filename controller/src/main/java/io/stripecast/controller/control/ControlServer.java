package io.stripecast.controller.control;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.stripecast.controller.config.ControllerSettings;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import io.stripecast.protocol.trust.Credentials;
import io.stripecast.protocol.trust.GrpcTls;
import io.stripecast.protocol.trust.PeerIdentityInterceptor;
import io.stripecast.protocol.trust.TransportSecurity;

import java.io.IOException;
import java.util.Optional;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** Runs the gRPC control-plane server relays connect to. */
@ApplicationScoped
public class ControlServer {
    private static final Logger LOG = Logger.getLogger(ControlServer.class);

    @Inject
    ControllerSettings settings;
    @Inject
    Coordinator coordinator;
    @Inject
    ControllerMetrics metrics;

    private volatile Server server;

    void onStart(@Observes @Priority(3000) StartupEvent event) {
        ControllerSettings.Controller c = settings.controller();
        ControllerSettings.Tls tls = settings.tls();
        Optional<Credentials> credentials = TransportSecurity.load(tls.plaintext(), tls.cert(), tls.key(), tls.ca());
        var service = new ControlPlaneService(coordinator, metrics, c.maxMessagesPerSecond(), c.maxDemandsPerSecond(),
                credentials.isPresent());
        try {
            NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(c.grpcHost(), c.grpcPort()));
            if (credentials.isPresent()) {
                builder.sslContext(GrpcTls.server(credentials.get()));
            } else {
                LOG.warn(TransportSecurity.plaintextWarning("the control plane"));
            }
            server = builder
                    // Interceptors run last-added first: the peer's address, then its certificate identity.
                    .addService(ServerInterceptors.intercept(service,
                            new PeerIdentityInterceptor(credentials.isPresent(), metrics::rejected), new PeerAddress()))
                    .maxInboundMessageSize(1024 * 1024)
                    .permitKeepAliveTime(5, TimeUnit.SECONDS)
                    .permitKeepAliveWithoutCalls(true)
                    .build()
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the control plane on port " + c.grpcPort(), e);
        }
        LOG.infof("control plane on port %d (%s)", server.getPort(), credentials.isPresent() ? "mutual TLS" : "PLAINTEXT");
    }

    void onStop(@Observes ShutdownEvent event) {
        if (server != null) {
            server.shutdownNow();
        }
    }

    public int port() {
        return server == null ? -1 : server.getPort();
    }
}

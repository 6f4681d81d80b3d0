package io.stripecast.controller.control;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.stripecast.controller.config.ControllerSettings;
import io.stripecast.controller.trust.ClusterTrust;
import io.stripecast.controller.trust.RelayCertificates;
import io.stripecast.controller.trust.TrustService;
import io.stripecast.protocol.trust.GrpcTls;
import io.stripecast.protocol.trust.LiveCredentials;
import io.stripecast.protocol.trust.PeerIdentityInterceptor;
import io.stripecast.protocol.trust.TransportSecurity;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Optional;
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
    @Inject
    ClusterTrust trust;
    @Inject
    MeterRegistry registry;
    @Inject
    Instance<KubernetesClient> kube;

    private volatile Server server;
    private TrustService trustService;

    void onStart(@Observes @Priority(3000) StartupEvent event) {
        ControllerSettings.Controller c = settings.controller();
        ControllerSettings.Tls tls = settings.tls();
        Optional<LiveCredentials> credentials = trust.credentials();
        Optional<RelayCertificates> issuer = trust.issuer();
        credentials.ifPresent(live -> io.micrometer.core.instrument.Gauge.builder("stripecast.controller.certificate.expiry.seconds",
                        () -> (live.get().certificate().getNotAfter().getTime() - System.currentTimeMillis()) / 1000.0)
                .description("Seconds until this controller's TLS certificate expires").register(registry));
        var service = new ControlPlaneService(coordinator, metrics, c.maxMessagesPerSecond(), c.maxDemandsPerSecond(),
                credentials.isPresent());
        try {
            NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(c.grpcHost(), c.grpcPort()));
            if (credentials.isPresent()) {
                // A relay asking for its first certificate (Trust.Sign) has none to show: the handshake lets it in,
                // and the ControlPlane service's PeerIdentityInterceptor refuses it there (UNAUTHENTICATED). One port
                // keeps the Service, the NetworkPolicy and relays' settings as they are (docs/trust.md).
                builder.sslContext(GrpcTls.server(credentials.get(), issuer.isPresent()));
            } else {
                LOG.warn(TransportSecurity.plaintextWarning("the control plane"));
            }
            if (issuer.isPresent()) {
                trustService = new TrustService(issuer.get(), kube.get(), trust.namespace(), registry,
                        tls.signPerAddressPerSecond());
                builder.addService(ServerInterceptors.intercept(trustService, new PeerAddress()));
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
        LOG.infof("control plane on port %d (%s)", server.getPort(), credentials.isEmpty() ? "PLAINTEXT"
                : issuer.isPresent() ? "mutual TLS; issuing relay certificates from the cluster CA" : "mutual TLS");
    }

    void onStop(@Observes ShutdownEvent event) {
        if (server != null) {
            server.shutdownNow();
        }
        if (trustService != null) {
            trustService.close();
        }
    }

    public int port() {
        return server == null ? -1 : server.getPort();
    }
}

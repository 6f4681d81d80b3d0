package io.stripecast.relay.push;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.stripecast.protocol.trust.GrpcTls;
import io.stripecast.protocol.trust.LiveCredentials;
import io.stripecast.protocol.trust.PeerIdentity;
import io.stripecast.protocol.trust.PeerIdentityInterceptor;
import io.stripecast.protocol.trust.TransportSecurity;
import io.stripecast.protocol.trust.TrustBundle;
import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.control.ControllerClient;
import io.stripecast.relay.ingest.IngestService;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.topology.AssignmentSource;
import io.stripecast.relay.topology.StandaloneTopology;
import io.stripecast.relay.topology.StaticTopology;
import io.stripecast.relay.trust.ControllerIssuedCertificate;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Starts the gRPC shard-push server and the parent links, from the configured assignment source. */
@ApplicationScoped
public class DataPlane {
    private final java.util.concurrent.atomic.AtomicBoolean draining = new java.util.concurrent.atomic.AtomicBoolean();
    private static final Logger LOG = Logger.getLogger(DataPlane.class);

    @Inject
    RelaySettings settings;
    @Inject
    StreamRegistry streams;
    @Inject
    RelayMetrics metrics;
    @Inject
    IngestService ingest;

    private volatile Server server;
    private volatile AssignmentSource source;
    private ParentLinks links;
    private volatile boolean ready;

    @ConfigProperty(name = "quarkus.http.port")
    int httpPort;

    private ShardPushService service;
    private Optional<LiveCredentials> tls = Optional.empty();
    private ControllerIssuedCertificate issued;

    /** A relay configured as one id but holding another's certificate would be refused by every peer: say so at once. */
    private void checkOwnIdentity(PeerIdentity own) {
        String pool = settings.relay().pool().orElse("");
        if (own.isController() || !own.relayId().equals(settings.relay().id()) || !own.pool().equals(pool)) {
            throw new IllegalStateException("the certificate in stripecast.tls.cert is " + own + ", but this relay is "
                    + PeerIdentity.relay(pool, settings.relay().id()));
        }
    }
    private ControllerClient controller;

    void onStart(@Observes StartupEvent event) {
        service = new ShardPushService(streams, metrics, () -> source, settings.relay().childQueueShards());
        tls = loadTls(settings.tls());
        if (tls.isPresent()) {
            checkOwnIdentity(tls.get().get().identity());
            LiveCredentials live = tls.get();
            metrics.watchCertificateExpiry(() -> (live.get().certificate().getNotAfter().getTime() - System.currentTimeMillis()) / 1000.0);
        } else {
            LOG.warn(TransportSecurity.plaintextWarning("this relay's data plane and control session"));
        }
        try {
            NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(settings.relay().grpcHost(), settings.relay().grpcPort()));
            if (tls.isPresent()) {
                builder.sslContext(GrpcTls.server(tls.get(), false));
            }
            server = builder
                    .addService(ServerInterceptors.intercept(service,
                            new PeerIdentityInterceptor(tls.isPresent(), metrics::subscribeRejected)))
                    // Requests are tiny; a child never needs to send more.
                    .maxInboundMessageSize(64 * 1024)
                    .permitKeepAliveTime(5, TimeUnit.SECONDS)
                    .permitKeepAliveWithoutCalls(true)
                    .build()
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind gRPC data plane on port " + settings.relay().grpcPort(), e);
        }
        links = new ParentLinks(streams, settings, metrics, tls);
        source = chooseSource();
        source.start(assignments -> {
            links.apply(assignments, source.definesStreams());
            ingest.syncPulls();
        });
        ready = true;
        LOG.infof("relay %s: data plane on port %d (%s), %d stream(s)", settings.relay().id(), server.getPort(),
                tls.isPresent() ? "mutual TLS" : "PLAINTEXT", streams.all().size());
    }

    /** Files, or a certificate the controller signs for this pod (stripecast.tls.issuer=controller); empty in plaintext mode. */
    private Optional<LiveCredentials> loadTls(RelaySettings.Tls t) {
        if (t.plaintext() || !"controller".equals(t.issuer())) {
            if (!t.plaintext() && !"files".equals(t.issuer())) {
                throw new IllegalStateException("stripecast.tls.issuer is files or controller, not " + t.issuer());
            }
            // The CA file may hold a bundle and change in place (a CA roll): trust follows it.
            return TransportSecurity.load(t.plaintext(), t.cert(), t.key(), t.ca()).map(c -> new LiveCredentials(c, bundle(t.ca().get())));
        }
        if (t.ca().isEmpty() || settings.relay().controller().isEmpty() || settings.relay().pool().isEmpty()) {
            throw new IllegalStateException("stripecast.tls.issuer=controller needs stripecast.tls.ca (the cluster CA), "
                    + "stripecast.relay.controller and stripecast.relay.pool");
        }
        issued = new ControllerIssuedCertificate(settings.relay().controller().get(), bundle(t.ca().get()), settings.relay().pool().get(),
                settings.relay().id());
        // Inside the pod's startup probe (30 x 2 s): a relay that cannot get a certificate exits and is restarted.
        return Optional.of(issued.start(Duration.ofSeconds(45)));
    }

    /** The mounted CA file: one certificate, or old and new during a CA roll; re-read when the kubelet updates it. */
    private static TrustBundle bundle(String file) {
        try {
            return TrustBundle.watching(Path.of(file), TrustBundle.CHECK_EVERY);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the CA certificate " + file + ": " + e.getMessage(), e);
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (issued != null) {
            issued.close();
        }
        if (controller != null) {
            // SIGTERM (how Kubernetes stops a relay pod; there is no preStop hook): children move first, then this relay goes.
            drain();
            controller.stop();
        }
        ready = false;
        if (links != null) {
            links.close();
        }
        if (server != null) {
            server.shutdownNow();
        }
    }

    /**
     * Asks the controller to move this relay's children and waits until it confirms (or the drain grace ends).
     * Runs once: a drain by hand (GET /admin/drain) while the relay still serves leaves nothing to do for the SIGTERM after it.
     * Blocks: call it off the event loop.
     */
    public void drain() {
        if (controller == null || !draining.compareAndSet(false, true)) {
            return;
        }
        service.setDraining(true);
        controller.drain(settings.relay().drainGrace());
    }

    /** Ready to take traffic: the data plane listens and, with a controller, assignments arrived. */
    public boolean isReady() {
        return ready && !draining.get() && (controller == null || controller.hasAssignments());
    }

    /** The controller session, when this relay is in controller mode. */
    public Optional<ControllerClient> controller() {
        return Optional.ofNullable(controller);
    }

    public int grpcPort() {
        return server == null ? -1 : server.getPort();
    }

    private AssignmentSource chooseSource() {
        if (settings.relay().controller().isPresent()) {
            var identity = new ControllerClient.Identity(settings.relay().id(),
                    settings.relay().advertiseAddress().orElse("127.0.0.1:" + server.getPort()),
                    settings.relay().playbackUrl().orElse("http://127.0.0.1:" + httpPort),
                    settings.relay().zone().orElse(""), settings.relay().uplinkMbps(), settings.relay().pool().orElse(""),
                    settings.relay().ingest());
            controller = new ControllerClient(settings.relay().controller().get(), identity, streams, links::parentOf,
                    streams.timer(), settings.relay().reconnectInitial(), settings.relay().reconnectMax(), tls);
            controller.reportEgress(metrics::egressMbps, metrics::playbackEgressMbps);
            return controller;
        }
        if (settings.relay().topologyFile().isPresent()) {
            try {
                return StaticTopology.read(Path.of(settings.relay().topologyFile().get()), settings.relay().id());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read topology file " + settings.relay().topologyFile().get(), e);
            }
        }
        return new StandaloneTopology(streams.all().stream().map(StreamRuntime::spec).map(s -> s.name()).toList());
    }
}

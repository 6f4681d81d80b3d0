package io.stripecast.controller.trust;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.stripecast.controller.config.ControllerSettings;
import io.stripecast.protocol.trust.CertificateAuthority;
import io.stripecast.protocol.trust.Credentials;
import io.stripecast.protocol.trust.LiveCredentials;
import io.stripecast.protocol.trust.PeerIdentity;
import io.stripecast.protocol.trust.Pem;
import io.stripecast.protocol.trust.TransportSecurity;
import io.stripecast.protocol.trust.TrustBundle;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Where the controller's own TLS credentials come from, and whether it issues relay certificates:
 * <ul>
 *   <li>plaintext ({@code stripecast.tls.plaintext=true}): none;</li>
 *   <li>files ({@code stripecast.tls.cert}/{@code key}/{@code ca}: the demo, the lab): those, no issuing;</li>
 *   <li>cluster CA (operator mode with {@code stripecast.tls.cluster-ca-secret}, no files): the CA from that Secret
 *       (created when absent, {@link ClusterCa}), the CA certificate alone published in
 *       {@code stripecast.tls.cluster-ca-cert-secret} for relay pods to mount, this controller's certificate issued in
 *       memory and re-issued at two thirds of its lifetime, and relay certificates by {@code Trust.Sign}; the CA
 *       roll ({@link CaRoll}, {@link CaRotation}) checked on the same thread, its bundle trusted and published.</li>
 * </ul>
 */
@ApplicationScoped
public class ClusterTrust {
    private static final Logger LOG = Logger.getLogger(ClusterTrust.class);

    @Inject
    ControllerSettings settings;
    @Inject
    Instance<KubernetesClient> client;
    @Inject
    MeterRegistry registry;

    private boolean resolved;
    private Optional<LiveCredentials> own = Optional.empty();
    private RelayCertificates issuer;
    private String namespace;
    private ScheduledExecutorService renewer;
    private TrustBundle trustBundle;
    private volatile CaRoll.Phase phase = CaRoll.Phase.NONE;

    /** This controller's credentials for the control plane (resolved once); empty in plaintext mode. */
    public synchronized Optional<LiveCredentials> credentials() {
        if (resolved) {
            return own;
        }
        resolved = true;
        ControllerSettings.Tls tls = settings.tls();
        boolean files = tls.cert().isPresent() || tls.key().isPresent();
        if (!tls.plaintext() && !files && settings.operator().enabled() && tls.clusterCaSecret().isPresent()) {
            own = Optional.of(fromClusterCa(tls));
        } else {
            // The CA file may hold a bundle and change in place (a CA roll): trust follows it.
            own = TransportSecurity.load(tls.plaintext(), tls.cert(), tls.key(), tls.ca()).map(c -> new LiveCredentials(c, watch(tls.ca().get())));
        }
        return own;
    }

    private static TrustBundle watch(String caFile) {
        try {
            return TrustBundle.watching(java.nio.file.Path.of(caFile), TrustBundle.CHECK_EVERY);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the CA certificate " + caFile + ": " + e.getMessage(), e);
        }
    }

    /** The relay-certificate issuer, in cluster-CA mode only. */
    public synchronized Optional<RelayCertificates> issuer() {
        credentials();
        return Optional.ofNullable(issuer);
    }

    /** The namespace whose pods may ask for certificates (the controller's own). */
    public synchronized String namespace() {
        return namespace;
    }

    private LiveCredentials fromClusterCa(ControllerSettings.Tls tls) {
        KubernetesClient kube = client.get();
        namespace = kube.getNamespace();
        String caSecret = tls.clusterCaSecret().get();
        CertificateAuthority ca = ClusterCa.ensure(kube, namespace, caSecret);
        Duration lifetime = tls.leafLifetime();
        issuer = new RelayCertificates(ca, lifetime);
        // What this controller trusts is what it publishes: during a CA roll, both CAs.
        trustBundle = TrustBundle.of(ca.certificate());
        LiveCredentials live = new LiveCredentials(ca.issue(PeerIdentity.CONTROLLER, lifetime), trustBundle);
        Secret secret = kube.secrets().inNamespace(namespace).withName(caSecret).get();
        adopt(secret == null ? null : secret, live, lifetime);
        LOG.infof("cluster CA from Secret %s/%s (%s); controller certificate issued for %s", namespace, caSecret,
                ca.certificate().getSubjectX500Principal().getName(), lifetime);
        renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "controller-certificate-renewal");
            t.setDaemon(true);
            return t;
        });
        scheduleRenewal(live, lifetime);
        Duration propagation = tls.caPropagationDelay();
        CaRotation rotation = new CaRotation(kube, namespace, caSecret,
                new CaRoll.Settings(tls.caRenewBefore(), propagation, lifetime), Clock.systemUTC());
        // Often enough that each phase starts within a quarter of the propagation delay of its time.
        long every = Math.max(250, Math.min(30_000, propagation.toMillis() / 4));
        renewer.scheduleWithFixedDelay(() -> {
            try {
                adopt(rotation.step(), live, lifetime);
            } catch (RuntimeException e) {
                LOG.warnf("CA rotation check failed (%s); trying again in %d ms", e.getMessage(), every);
            }
        }, every, every, TimeUnit.MILLISECONDS);
        Gauge.builder("stripecast.controller.ca.rotation.phase", () -> phase.gauge)
                .description("CA rotation phase: 0 none, 1 new CA trusted, 2 issuing from the new CA (docs/trust.md)").register(registry);
        Gauge.builder("stripecast.controller.ca.expiry.seconds",
                        () -> (issuer.ca().certificate().getNotAfter().getTime() - System.currentTimeMillis()) / 1000.0)
                .description("Seconds until the issuing cluster CA expires").register(registry);
        return live;
    }

    /** Brings this replica to the CA Secret as it stands: the bundle trusted and published, the CA issued from. */
    private void adopt(Secret secret, LiveCredentials live, Duration lifetime) {
        if (secret == null) {
            return;
        }
        String pem = CaRoll.bundlePem(secret);
        List<X509Certificate> cas;
        try {
            cas = Pem.parseCertificates(pem.getBytes(StandardCharsets.US_ASCII), "the CA Secret's bundle");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        trustBundle.set(cas);
        settings.tls().clusterCaCertSecret().ifPresent(name -> publish(client.get(), namespace, name, pem));
        phase = CaRoll.state(secret).phase();
        CertificateAuthority issuing = ClusterCa.fromSecret(secret);
        if (!issuing.certificate().equals(issuer.ca().certificate())) {
            issuer.issueFrom(issuing);
            Credentials renewed = issuing.issue(PeerIdentity.CONTROLLER, lifetime);
            live.set(renewed);
            LOG.infof("issuing from CA %s: controller certificate re-issued (serial %s)", issuing.certificate().getSubjectX500Principal().getName(),
                    renewed.certificate().getSerialNumber().toString(16));
        }
    }

    private void scheduleRenewal(LiveCredentials live, Duration lifetime) {
        long delay = Math.max(1, lifetime.toMillis() * 2 / 3);
        renewer.schedule(() -> {
            try {
                Credentials renewed = issuer.ca().issue(PeerIdentity.CONTROLLER, lifetime);
                live.set(renewed);
                LOG.debugf("controller certificate renewed (serial %s)", renewed.certificate().getSerialNumber().toString(16));
            } catch (RuntimeException e) {
                LOG.errorf(e, "cannot renew the controller certificate");
            }
            scheduleRenewal(live, lifetime);
        }, delay, TimeUnit.MILLISECONDS);
    }

    /**
     * The CA certificates alone (one, or old and new during a roll), for relay pods to mount: created when absent,
     * brought to the CA Secret's bundle when it differs (a roll, a replaced CA). Never a key.
     */
    static void publish(KubernetesClient kube, String namespace, String name, String pem) {
        String data = Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
        Secret existing = kube.secrets().inNamespace(namespace).withName(name).get();
        if (existing != null) {
            if (existing.getData() == null || !Objects.equals(existing.getData().get(ClusterCa.CERT_KEY), data)) {
                kube.secrets().inNamespace(namespace).withName(name).edit(s -> new SecretBuilder(s).withData(Map.of(ClusterCa.CERT_KEY, data)).build());
                LOG.infof("CA certificate Secret %s/%s updated to the CA Secret's bundle", namespace, name);
            }
            return;
        }
        Secret secret = new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace)
                .addToLabels("app.kubernetes.io/part-of", "stripecast").addToLabels("app.kubernetes.io/component", "cluster-ca-cert")
                .endMetadata().withType("Opaque").withData(Map.of(ClusterCa.CERT_KEY, data)).build();
        try {
            kube.secrets().inNamespace(namespace).resource(secret).create();
            LOG.infof("CA certificate published in Secret %s/%s", namespace, name);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            // Another replica published the same CA first.
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (renewer != null) {
            renewer.shutdownNow();
        }
    }
}

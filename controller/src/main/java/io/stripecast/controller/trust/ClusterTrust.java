package io.stripecast.controller.trust;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.runtime.ShutdownEvent;
import io.stripecast.controller.config.ControllerSettings;
import io.stripecast.protocol.trust.CertificateAuthority;
import io.stripecast.protocol.trust.Credentials;
import io.stripecast.protocol.trust.LiveCredentials;
import io.stripecast.protocol.trust.PeerIdentity;
import io.stripecast.protocol.trust.Pem;
import io.stripecast.protocol.trust.TransportSecurity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
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
 *       memory and re-issued at two thirds of its lifetime, and relay certificates by {@code Trust.Sign}.</li>
 * </ul>
 */
@ApplicationScoped
public class ClusterTrust {
    private static final Logger LOG = Logger.getLogger(ClusterTrust.class);

    @Inject
    ControllerSettings settings;
    @Inject
    Instance<KubernetesClient> client;

    private boolean resolved;
    private Optional<LiveCredentials> own = Optional.empty();
    private RelayCertificates issuer;
    private String namespace;
    private ScheduledExecutorService renewer;

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
            own = TransportSecurity.load(tls.plaintext(), tls.cert(), tls.key(), tls.ca()).map(LiveCredentials::new);
        }
        return own;
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
        CertificateAuthority ca = ClusterCa.ensure(kube, namespace, tls.clusterCaSecret().get());
        tls.clusterCaCertSecret().ifPresent(name -> publish(kube, namespace, name, ca));
        Duration lifetime = tls.leafLifetime();
        issuer = new RelayCertificates(ca, lifetime);
        LiveCredentials live = new LiveCredentials(ca.issue(PeerIdentity.CONTROLLER, lifetime));
        LOG.infof("cluster CA from Secret %s/%s (%s); controller certificate issued for %s", namespace, tls.clusterCaSecret().get(),
                ca.certificate().getSubjectX500Principal().getName(), lifetime);
        renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "controller-certificate-renewal");
            t.setDaemon(true);
            return t;
        });
        scheduleRenewal(live, ca, lifetime);
        return live;
    }

    private void scheduleRenewal(LiveCredentials live, CertificateAuthority ca, Duration lifetime) {
        long delay = Math.max(1, lifetime.toMillis() * 2 / 3);
        renewer.schedule(() -> {
            try {
                Credentials renewed = ca.issue(PeerIdentity.CONTROLLER, lifetime);
                live.set(renewed);
                LOG.debugf("controller certificate renewed (serial %s)", renewed.certificate().getSerialNumber().toString(16));
            } catch (RuntimeException e) {
                LOG.errorf(e, "cannot renew the controller certificate");
            }
            scheduleRenewal(live, ca, lifetime);
        }, delay, TimeUnit.MILLISECONDS);
    }

    /**
     * The CA certificate alone, for relay pods to mount: created when absent, brought to the CA's when it differs
     * (a replaced CA). Never the key.
     */
    static void publish(KubernetesClient kube, String namespace, String name, CertificateAuthority ca) {
        String pem;
        try {
            pem = Pem.toPem(ca.certificate());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String data = Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
        Secret existing = kube.secrets().inNamespace(namespace).withName(name).get();
        if (existing != null) {
            if (existing.getData() == null || !Objects.equals(existing.getData().get(ClusterCa.CERT_KEY), data)) {
                kube.secrets().inNamespace(namespace).withName(name).edit(s -> new SecretBuilder(s).withData(Map.of(ClusterCa.CERT_KEY, data)).build());
                LOG.infof("CA certificate Secret %s/%s updated to the cluster CA", namespace, name);
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

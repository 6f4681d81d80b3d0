package io.stripecast.controller.trust;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.jboss.logging.Logger;

import java.time.Clock;

/**
 * Drives the CA roll {@link CaRoll} describes on the CA Secret: reads it, asks the model what to do now, and writes
 * the result guarded by the resourceVersion it read, so of two replicas acting at once one write wins and the other
 * gets 409 and looks again next time (never a second new CA). Every replica runs it; a new leader simply continues.
 */
final class CaRotation {
    private static final Logger LOG = Logger.getLogger(CaRotation.class);

    private final KubernetesClient kube;
    private final String namespace;
    private final String secretName;
    private final CaRoll.Settings settings;
    private final Clock clock;

    CaRotation(KubernetesClient kube, String namespace, String secretName, CaRoll.Settings settings, Clock clock) {
        this.kube = kube;
        this.namespace = namespace;
        this.secretName = secretName;
        this.settings = settings;
        this.clock = clock;
    }

    /** One step: the CA Secret as it stands after it (this replica's write, or what another wrote first). */
    Secret step() {
        Secret secret = kube.secrets().inNamespace(namespace).withName(secretName).get();
        if (secret == null) {
            throw new IllegalStateException("the CA Secret " + namespace + "/" + secretName + " is gone");
        }
        var now = clock.instant();
        CaRoll.Action action = CaRoll.next(CaRoll.state(secret), now, settings);
        if (action instanceof CaRoll.Action.Wait) {
            return secret;
        }
        Secret wanted = CaRoll.apply(secret, action, now, () -> ClusterCa.generate(namespace, now));
        try {
            Secret written = kube.secrets().inNamespace(namespace).resource(wanted).update();
            if (action instanceof CaRoll.Action.Start start) {
                LOG.infof("CA rotation phase 1 of 3: new CA %s added to %s and the trust bundle (%s); issuing from it in %s",
                        ClusterCa.fromSecret(nextOnly(written)).certificate().getSubjectX500Principal().getName(), secretName, start.why(),
                        settings.propagation());
            } else if (action instanceof CaRoll.Action.IssueFromNew) {
                LOG.infof("CA rotation phase 2 of 3: issuing from the new CA; the old one stays trusted for %s",
                        settings.leafLifetime().plus(settings.propagation()));
            } else {
                LOG.infof("CA rotation phase 3 of 3: old CA dropped from %s and the trust bundle", secretName);
            }
            return written;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            // Another replica changed the Secret since we read it: take theirs, decide again next time.
            LOG.debugf("CA Secret %s changed under this replica's write; re-reading", secretName);
            return kube.secrets().inNamespace(namespace).withName(secretName).get();
        }
    }

    private static Secret nextOnly(Secret s) {
        return new io.fabric8.kubernetes.api.model.SecretBuilder(s).withData(java.util.Map.of(ClusterCa.CERT_KEY, s.getData().get(CaRoll.NEXT_CERT),
                ClusterCa.KEY_KEY, s.getData().get(CaRoll.NEXT_KEY))).build();
    }
}

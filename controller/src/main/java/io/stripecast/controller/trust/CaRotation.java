package io.stripecast.controller.trust;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stripecast.protocol.trust.Pem;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Drives the CA roll {@link CaRoll} describes on the CA Secret: reads it, asks the model what to do now, and writes
 * the result as a merge patch guarded by the resourceVersion it read, so of two replicas acting at once one write wins and the other
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
            // A merge patch carrying the resourceVersion read is refused with 409 if the Secret changed since (the
            // chart's Role grants patch, not update).
            Secret written = kube.secrets().inNamespace(namespace).withName(secretName)
                    .patch(PatchContext.of(PatchType.JSON_MERGE), mergePatch(secret, wanted));
            if (action instanceof CaRoll.Action.Start start) {
                LOG.infof("CA rotation phase 1 of 3: new CA %s added to %s and the trust bundle (%s); issuing from it in %s",
                        newCaName(written), secretName, start.why(),
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

    /** The JSON merge patch from {@code from} to {@code to} over data and annotations, guarded by from's resourceVersion. */
    static String mergePatch(Secret from, Secret to) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("resourceVersion", from.getMetadata().getResourceVersion());
        metadata.put("annotations", diff(from.getMetadata().getAnnotations(), to.getMetadata().getAnnotations()));
        Map<String, Object> patch = new LinkedHashMap<>();
        patch.put("metadata", metadata);
        patch.put("data", diff(from.getData(), to.getData()));
        try {
            return new ObjectMapper().writeValueAsString(patch);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Changed and added keys with their values, removed keys as null (a merge patch's "delete"). */
    private static Map<String, Object> diff(Map<String, String> from, Map<String, String> to) {
        Map<String, String> a = from == null ? Map.of() : from;
        Map<String, String> b = to == null ? Map.of() : to;
        Map<String, Object> d = new LinkedHashMap<>();
        a.keySet().stream().filter(k -> !b.containsKey(k)).forEach(k -> d.put(k, null));
        b.forEach((k, v) -> {
            if (!v.equals(a.get(k))) {
                d.put(k, v);
            }
        });
        return d;
    }

    private static String newCaName(Secret s) {
        try {
            return Pem.parseCertificates(java.util.Base64.getDecoder().decode(s.getData().get(CaRoll.NEXT_CERT)), CaRoll.NEXT_CERT).get(0)
                    .getSubjectX500Principal().getName();
        } catch (java.io.IOException | RuntimeException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}

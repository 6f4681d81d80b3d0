package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.stripecast.controller.config.ControllerSettings;
import io.stripecast.controller.control.Coordinator;
import io.stripecast.controller.control.IceSettings;
import io.stripecast.controller.control.StreamDefinition;
import io.stripecast.crds.LiveStream;
import io.stripecast.crds.LiveStreamSpec;
import io.stripecast.crds.LiveStreamStatus;
import io.stripecast.crds.RelayPool;
import io.stripecast.crds.SecretKeyRef;
import io.stripecast.crds.StripeTreeStatus;
import io.stripecast.protocol.trust.PlaybackTokens;
import io.stripecast.protocol.trust.PublisherKeys;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * LiveStream -> a stream in the planner (rooted at its pool's ingest relay, carried by that pool) and a status
 * with the forest's figures. Every failure of the spec or its references ends in Ready=False with a reason;
 * the stream is then withdrawn from the planner, and no other stream is touched.
 */
@ControllerConfiguration(name = "livestream")
public class LiveStreamReconciler implements Reconciler<LiveStream>, Cleaner<LiveStream> {
    private static final Logger LOG = Logger.getLogger(LiveStreamReconciler.class);
    /** A secret that travels in a header or an HMAC key: bounded. */
    private static final int MAX_KEY_LENGTH = PublisherKeys.MAX_LENGTH;

    @Inject
    Coordinator coordinator;
    @Inject
    ControllerSettings settings;

    @Override
    public UpdateControl<LiveStream> reconcile(LiveStream stream, Context<LiveStream> context) {
        Outcome outcome = define(stream, context.getClient());
        LiveStreamStatus status = outcome.ready == null ? figures(stream) : notReady(stream, outcome);
        Duration interval = settings.operator().statusInterval();
        if (StatusConditions.sameStatus(status, stream.getStatus())) {
            return UpdateControl.<LiveStream>noUpdate().rescheduleAfter(interval);
        }
        stream.setStatus(status);
        return UpdateControl.patchStatus(stream).rescheduleAfter(interval);
    }

    @Override
    public DeleteControl cleanup(LiveStream stream, Context<LiveStream> context) {
        if (coordinator.undefine(stream.getMetadata().getName(), owner(stream))) {
            LOG.infof("LiveStream %s deleted: its forest stopped", owner(stream));
        }
        return DeleteControl.defaultDelete();
    }

    /** Why a stream is not carried (reason, message), or an outcome with null reason when it is defined. */
    private record Outcome(String ready, String message) {
        static final Outcome DEFINED = new Outcome(null, null);
    }

    private Outcome define(LiveStream stream, KubernetesClient client) {
        String name = stream.getMetadata().getName();
        String namespace = stream.getMetadata().getNamespace();
        List<String> problems = SpecChecks.liveStream(stream);
        if (!problems.isEmpty()) {
            return withdraw(stream, new Outcome("InvalidSpec", String.join("; ", problems)));
        }
        LiveStreamSpec spec = stream.getSpec();
        RelayPool pool = client.resources(RelayPool.class).inNamespace(namespace).withName(spec.relayPool).get();
        if (pool == null) {
            return withdraw(stream, new Outcome("RelayPoolNotFound", "RelayPool " + spec.relayPool + " does not exist in " + namespace));
        }
        String key = null;
        if (spec.ingest.push != null) {
            // Bounds a relay checks again: a key travels in an HTTP header, and a short one is guessed (issue 16).
            SecretRead read = readSecret(client, namespace, spec.ingest.push.keySecretRef, "publisher key", PublisherKeys::problem);
            if (read.refusal() != null) {
                return withdraw(stream, read.refusal());
            }
            key = read.value();
        }
        boolean meshEnabled = spec.mesh != null && Boolean.TRUE.equals(spec.mesh.enabled);
        int meshPeers = spec.mesh != null && spec.mesh.maxPeers != null ? spec.mesh.maxPeers : 8;
        IceSettings ice = IceSettings.NONE;
        if (spec.mesh != null && spec.mesh.iceServers != null && !spec.mesh.iceServers.isEmpty()) {
            String turnSecret = null;
            if (spec.mesh.turnSecretRef != null) {
                SecretRead read = readSecret(client, namespace, spec.mesh.turnSecretRef, "TURN secret",
                        v -> v.isEmpty() || v.length() > MAX_KEY_LENGTH ? "the TURN secret must be 1-" + MAX_KEY_LENGTH + " characters" : null);
                if (read.refusal() != null) {
                    return withdraw(stream, read.refusal());
                }
                turnSecret = read.value();
            }
            ice = new IceSettings(spec.mesh.iceServers.stream().map(server -> server.url).toList(),
                    spec.mesh.iceTransportPolicy == null ? "all" : spec.mesh.iceTransportPolicy, turnSecret,
                    spec.mesh.turnCredentialTtlSeconds == null ? 3600 : spec.mesh.turnCredentialTtlSeconds);
        }
        String playbackKey = null;
        if (spec.playback != null && spec.playback.signing != null) {
            // Anyone with one signed URL can guess a short key offline: bounded as the relays check it again.
            SecretRead read = readSecret(client, namespace, spec.playback.signing.secretRef, "playback signing key", PlaybackTokens::problem);
            if (read.refusal() != null) {
                return withdraw(stream, read.refusal());
            }
            playbackKey = read.value();
        }
        StreamDefinition def = new StreamDefinition(name, spec.k, spec.m == null ? 1 : spec.m,
                Duration.ofSeconds(spec.windowSeconds == null ? 30 : spec.windowSeconds), null, spec.relayPool,
                "on-demand".equals(spec.carriage), spec.bitrateHintMbps == null ? 5.0 : spec.bitrateHintMbps, key,
                spec.ingest.pull == null ? null : spec.ingest.pull.url, meshEnabled, meshPeers, owner(stream), null, ice, playbackKey);
        Coordinator.Defined defined = coordinator.define(def);
        if (defined == Coordinator.Defined.NAME_TAKEN) {
            return new Outcome("NameConflict", "stream name '" + name + "' is already carried for another LiveStream or the "
                    + "controller's configuration; stream names are unique across namespaces");
        }
        if (defined != Coordinator.Defined.UNCHANGED) {
            LOG.infof("LiveStream %s: %s", owner(stream), defined.name().toLowerCase());
        }
        return Outcome.DEFINED;
    }

    private Outcome withdraw(LiveStream stream, Outcome outcome) {
        if (coordinator.undefine(stream.getMetadata().getName(), owner(stream))) {
            LOG.infof("LiveStream %s withdrawn from the planner: %s", owner(stream), outcome.message());
        }
        return outcome;
    }

    /** A Secret's value for a stream, or why the stream cannot be carried with it. */
    private record SecretRead(String value, Outcome refusal) {
    }

    /**
     * Reads {@code ref} for the stream: the Secret must exist, hold the key, and pass {@code problem} (null when
     * the value is fine, else what is wrong with it): SecretNotFound, SecretKeyMissing or InvalidSecret otherwise.
     */
    private static SecretRead readSecret(KubernetesClient client, String namespace, SecretKeyRef ref, String what,
                                         Function<String, String> problem) {
        Secret secret = client.secrets().inNamespace(namespace).withName(ref.name).get();
        if (secret == null) {
            return new SecretRead(null, new Outcome("SecretNotFound", "Secret " + ref.name + " (" + what + ") does not exist"));
        }
        String value = secretValue(secret, ref.key);
        if (value == null) {
            return new SecretRead(null, new Outcome("SecretKeyMissing", "Secret " + ref.name + " has no key '" + ref.key + "'"));
        }
        String wrong = problem.apply(value);
        if (wrong != null) {
            return new SecretRead(null, new Outcome("InvalidSecret", "Secret " + ref.name + ": " + wrong));
        }
        return new SecretRead(value, null);
    }

    private static String secretValue(Secret secret, String key) {
        Map<String, String> data = secret.getData();
        if (data != null && data.get(key) != null) {
            try {
                return new String(Base64.getDecoder().decode(data.get(key)), StandardCharsets.UTF_8).strip();
            } catch (IllegalArgumentException e) {
                return "";
            }
        }
        Map<String, String> plain = secret.getStringData();
        return plain == null || plain.get(key) == null ? null : plain.get(key).strip();
    }

    private LiveStreamStatus notReady(LiveStream stream, Outcome outcome) {
        LiveStreamStatus previous = stream.getStatus();
        LiveStreamStatus status = new LiveStreamStatus();
        long generation = generation(stream);
        status.observedGeneration = generation;
        var conditions = StatusConditions.set(previous == null ? null : previous.conditions, StatusConditions.READY, false,
                outcome.ready(), outcome.message(), generation);
        status.conditions = StatusConditions.set(conditions, StatusConditions.DEGRADED, false, "NotCarried",
                "the stream has no forest", generation);
        status.relays = 0;
        return status;
    }

    private LiveStreamStatus figures(LiveStream stream) {
        Coordinator.StreamView view = coordinator.view(stream.getMetadata().getName());
        LiveStreamStatus previous = stream.getStatus();
        LiveStreamStatus status = new LiveStreamStatus();
        long generation = generation(stream);
        status.observedGeneration = generation;
        status.relays = view.forest().size();
        status.ingestRelay = view.ingestRelay();
        status.repairs = view.repairs();
        status.lastRepairTime = view.lastRepairMillis() == 0 ? null : Instant.ofEpochMilli(view.lastRepairMillis()).toString();
        status.segmentsIngested = view.segmentsIngested();
        List<StripeTreeStatus> stripes = new ArrayList<>();
        int maxDepth = 0;
        if (!view.forest().isEmpty()) {
            for (int i = 0; i < view.forest().stripes(); i++) {
                int depth = view.forest().treeDepth(i);
                int interior = 0;
                for (String relay : view.forest().members()) {
                    if (!view.forest().children(i, relay).isEmpty()) {
                        interior++;
                    }
                }
                maxDepth = Math.max(maxDepth, depth);
                stripes.add(new StripeTreeStatus(i, i >= view.k(), depth, interior));
            }
        }
        status.stripes = stripes;
        status.maxDepth = maxDepth;
        List<io.fabric8.kubernetes.api.model.Condition> conditions = previous == null ? null : previous.conditions;
        if (view.forest().isEmpty()) {
            conditions = StatusConditions.set(conditions, StatusConditions.READY, false, "WaitingForIngest",
                    "no ingest relay of pool " + stream.getSpec().relayPool + " is connected yet", generation);
        } else {
            conditions = StatusConditions.set(conditions, StatusConditions.READY, true, "Carrying",
                    view.forest().size() + " relay(s) in " + view.forest().stripes() + " stripe tree(s)", generation);
        }
        Degraded degraded = degraded(view.forest().isEmpty() ? null : view.check());
        conditions = StatusConditions.set(conditions, StatusConditions.DEGRADED, degraded.status(), degraded.reason(),
                degraded.message(), generation);
        status.conditions = conditions;
        return status;
    }

    /** The Degraded condition's status, reason and message. */
    record Degraded(boolean status, String reason, String message) {
    }

    /**
     * Degraded from the forest's check ({@code null}: no forest yet). A broken invariant ({@code InvariantViolated})
     * outranks a relaxation: it is a fault, a relaxation is the planner's choice. Among relaxations the most severe
     * names the reason ({@code InteriorShared} over {@code FanoutExceeded} over {@code DepthRelaxed}, DESIGN.md
     * "Never go dark"), and the message lists every relaxation in force with its relays, most severe first. The
     * message changes only when the relaxed set does, so the status is not rewritten on every reconcile.
     */
    static Degraded degraded(io.stripecast.controller.forest.CheckResult check) {
        if (check == null) {
            return new Degraded(false, "AsPlanned", "every forest invariant holds");
        }
        if (!check.ok()) {
            return new Degraded(true, "InvariantViolated", check.violationCount() + " forest invariant violation(s): "
                    + check.violations());
        }
        if (!check.relaxations().isEmpty()) {
            var r = check.relaxations();
            return new Degraded(true, r.mostSevere().reason(), r.affected().size() + " relay(s) carry the stream with a "
                    + "bound relaxed, not enough capacity to hold them otherwise: " + r.summary(20)
                    + "; the planner tightens as soon as capacity returns");
        }
        return new Degraded(false, "AsPlanned", "every forest invariant holds");
    }

    private static long generation(LiveStream stream) {
        return stream.getMetadata().getGeneration() == null ? 0 : stream.getMetadata().getGeneration();
    }

    static String owner(LiveStream stream) {
        return stream.getMetadata().getNamespace() + "/" + stream.getMetadata().getName();
    }
}

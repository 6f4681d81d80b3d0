package io.stripecast.controller.trust;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.stripecast.protocol.trust.CertificateAuthority;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The CA roll as a model (Strimzi's two-phase CA renewal; docs/trust.md, "Rotation"): what the CA Secret says, and
 * what to do next, as pure functions of (Secret, now, settings). {@link CaRotation} reads and writes the Secret.
 * <ol>
 *   <li>{@link Phase#TRUST_NEW}: a new CA beside the current one ({@code next-ca.crt}, {@code next-ca.key}); the
 *       published bundle holds both; still issuing from the old one while the kubelet updates every mounted copy.</li>
 *   <li>{@link Phase#ISSUE_NEW}: after the propagation delay, the new CA becomes {@code ca.crt}/{@code ca.key} and the
 *       old certificate stays as {@code old-ca.crt} (its key is no longer needed), still in the bundle, so leaves it
 *       issued keep working until they expire.</li>
 *   <li>Done: after one leaf lifetime more (plus the propagation delay, for a replica that issued from the old CA
 *       just before it saw the switch), {@code old-ca.crt} goes; the bundle is the new CA alone.</li>
 * </ol>
 * Each step is recorded in the Secret's annotations ({@link #PHASE}, {@link #SINCE}), so another replica or a new
 * leader continues where it stopped; writes are guarded by the Secret's resourceVersion.
 */
public final class CaRoll {
    public static final String NEXT_CERT = "next-ca.crt";
    public static final String NEXT_KEY = "next-ca.key";
    public static final String OLD_CERT = "old-ca.crt";
    /** Set by an operator ({@code "true"}) to start a roll now; removed when the roll starts. */
    public static final String RENEW = "stripecast.io/renew-ca";
    public static final String PHASE = "stripecast.io/ca-rotation-phase";
    public static final String SINCE = "stripecast.io/ca-rotation-since";

    private CaRoll() {
    }

    /** The phases, numbered as the {@code stripecast_controller_ca_rotation_phase} gauge shows them. */
    public enum Phase {
        NONE(0, null), TRUST_NEW(1, "trust-new"), ISSUE_NEW(2, "issue-new");

        public final int gauge;
        final String annotation;

        Phase(int gauge, String annotation) {
            this.gauge = gauge;
            this.annotation = annotation;
        }

        static Phase of(String annotation) {
            for (Phase p : values()) {
                if (p.annotation != null && p.annotation.equals(annotation)) {
                    return p;
                }
            }
            return NONE;
        }
    }

    public record Settings(Optional<Duration> renewBefore, Duration propagation, Duration leafLifetime) {
    }

    /** What the Secret says: the issuing CA's validity, the request annotation, the phase and since when. */
    public record State(Instant caNotBefore, Instant caNotAfter, boolean renewRequested, Phase phase, Instant phaseSince) {
    }

    public sealed interface Action {
        /** Nothing to do now. */
        record Wait() implements Action {
        }

        /** Phase 1: make the new CA, publish the bundle of both. */
        record Start(String why) implements Action {
        }

        /** Phase 2: issue from the new CA. */
        record IssueFromNew() implements Action {
        }

        /** Phase 3: drop the old CA. */
        record DropOld() implements Action {
        }
    }

    public static Action next(State s, Instant now, Settings settings) {
        return switch (s.phase()) {
            case NONE -> {
                if (s.renewRequested()) {
                    yield new Action.Start("requested by the annotation " + RENEW);
                }
                Duration before = settings.renewBefore().orElse(Duration.between(s.caNotBefore(), s.caNotAfter()).dividedBy(5));
                yield now.isBefore(s.caNotAfter().minus(before)) ? new Action.Wait()
                        : new Action.Start("the CA expires at " + s.caNotAfter() + ", less than " + before + " from now");
            }
            case TRUST_NEW -> now.isBefore(s.phaseSince().plus(settings.propagation())) ? new Action.Wait() : new Action.IssueFromNew();
            case ISSUE_NEW -> now.isBefore(s.phaseSince().plus(settings.leafLifetime()).plus(settings.propagation()))
                    ? new Action.Wait() : new Action.DropOld();
        };
    }

    public static State state(Secret secret) {
        CertificateAuthority ca = ClusterCa.fromSecret(secret);
        Map<String, String> a = secret.getMetadata().getAnnotations() == null ? Map.of() : secret.getMetadata().getAnnotations();
        Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
        Phase phase = Phase.of(a.get(PHASE));
        // A phase whose data is missing (edited by hand) is treated as none: better a fresh roll than a stuck one.
        if (phase == Phase.TRUST_NEW && !(data.containsKey(NEXT_CERT) && data.containsKey(NEXT_KEY))) {
            phase = Phase.NONE;
        }
        Instant since = Instant.EPOCH;
        try {
            since = a.containsKey(SINCE) ? Instant.parse(a.get(SINCE)) : Instant.EPOCH;
        } catch (DateTimeParseException e) {
            // an unreadable time counts as long ago: the phase's wait is over
        }
        return new State(ca.certificate().getNotBefore().toInstant(), ca.certificate().getNotAfter().toInstant(),
                "true".equalsIgnoreCase(a.get(RENEW)), phase, since);
    }

    /** The Secret after {@code action} (the input's resourceVersion kept, for the guarded write). */
    public static Secret apply(Secret secret, Action action, Instant now, Supplier<CertificateAuthority> newCa) {
        Map<String, String> data = new LinkedHashMap<>(secret.getData());
        Map<String, String> annotations = secret.getMetadata().getAnnotations() == null ? new LinkedHashMap<>()
                : new LinkedHashMap<>(secret.getMetadata().getAnnotations());
        if (action instanceof Action.Start) {
            CertificateAuthority fresh = newCa.get();
            data.put(NEXT_CERT, ClusterCa.b64(ClusterCa.pem(fresh, false)));
            data.put(NEXT_KEY, ClusterCa.b64(ClusterCa.pem(fresh, true)));
            data.remove(OLD_CERT);
            annotations.remove(RENEW);
            annotations.put(PHASE, Phase.TRUST_NEW.annotation);
            annotations.put(SINCE, now.toString());
        } else if (action instanceof Action.IssueFromNew) {
            data.put(OLD_CERT, data.get(ClusterCa.CERT_KEY));
            data.put(ClusterCa.CERT_KEY, data.remove(NEXT_CERT));
            data.put(ClusterCa.KEY_KEY, data.remove(NEXT_KEY));
            annotations.put(PHASE, Phase.ISSUE_NEW.annotation);
            annotations.put(SINCE, now.toString());
        } else if (action instanceof Action.DropOld) {
            data.remove(OLD_CERT);
            annotations.remove(PHASE);
            annotations.remove(SINCE);
        } else {
            return secret;
        }
        return new SecretBuilder(secret).editMetadata().withAnnotations(annotations).endMetadata().withData(data).build();
    }

    /** The CA certificates to trust and publish, PEM concatenated: the issuing one first, then the next or the old one. */
    public static String bundlePem(Secret secret) {
        StringBuilder pem = new StringBuilder();
        for (String key : new String[]{ClusterCa.CERT_KEY, NEXT_CERT, OLD_CERT}) {
            String b64 = secret.getData().get(key);
            if (b64 != null) {
                String one = new String(java.util.Base64.getDecoder().decode(b64), java.nio.charset.StandardCharsets.US_ASCII);
                pem.append(one.endsWith("\n") ? one : one + "\n");
            }
        }
        return pem.toString();
    }
}

package io.stripecast.controller.trust;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.stripecast.protocol.trust.CertificateAuthority;
import io.stripecast.protocol.trust.Pem;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The CA roll's phases as a pure function of (CA Secret, now, settings), and what each step leaves in the Secret. */
class CaRollTest {
    static final CaRoll.Settings SETTINGS = new CaRoll.Settings(Optional.empty(), Duration.ofMinutes(2), Duration.ofHours(24));
    static final CertificateAuthority OLD = CertificateAuthority.generate("ca-old", Duration.ofDays(100));
    static final CertificateAuthority NEW = CertificateAuthority.generate("ca-new", Duration.ofDays(100));

    static Secret secret(CertificateAuthority ca, Map<String, String> annotations) {
        return new SecretBuilder().withNewMetadata().withName("stripecast-cluster-ca").withResourceVersion("7")
                .withAnnotations(annotations).endMetadata()
                .withData(Map.of(ClusterCa.CERT_KEY, ClusterCa.b64(ClusterCa.pem(ca, false)), ClusterCa.KEY_KEY, ClusterCa.b64(ClusterCa.pem(ca, true))))
                .build();
    }

    static Instant notAfter(CertificateAuthority ca) {
        return ca.certificate().getNotAfter().toInstant();
    }

    @Test
    void nothingHappensWhileTheCaHasMoreThanTheThresholdLeft() {
        Secret s = secret(OLD, Map.of());
        Instant now = Instant.now();
        assertThat(CaRoll.next(CaRoll.state(s), now, SETTINGS)).isInstanceOf(CaRoll.Action.Wait.class);
        // Default threshold: a fifth of the CA's lifetime (100 days -> 20 days).
        assertThat(CaRoll.next(CaRoll.state(s), notAfter(OLD).minus(Duration.ofDays(21)), SETTINGS)).isInstanceOf(CaRoll.Action.Wait.class);
        assertThat(CaRoll.next(CaRoll.state(s), notAfter(OLD).minus(Duration.ofDays(19)), SETTINGS)).isInstanceOf(CaRoll.Action.Start.class);
        var explicit = new CaRoll.Settings(Optional.of(Duration.ofDays(50)), Duration.ofMinutes(2), Duration.ofHours(24));
        assertThat(CaRoll.next(CaRoll.state(s), notAfter(OLD).minus(Duration.ofDays(49)), explicit)).isInstanceOf(CaRoll.Action.Start.class);
    }

    @Test
    void theAnnotationStartsARollNow() {
        Secret s = secret(OLD, Map.of(CaRoll.RENEW, "true"));
        assertThat(CaRoll.next(CaRoll.state(s), Instant.now(), SETTINGS)).isInstanceOf(CaRoll.Action.Start.class);
    }

    @Test
    void theRollGoesThroughItsThreePhasesAtTheirTimesAndEachStepIsRecordedInTheSecret() throws Exception {
        Instant t0 = Instant.now();
        Secret s = secret(OLD, Map.of(CaRoll.RENEW, "true"));

        CaRoll.Action start = CaRoll.next(CaRoll.state(s), t0, SETTINGS);
        Secret phase1 = CaRoll.apply(s, start, t0, () -> NEW);
        assertThat(phase1.getMetadata().getResourceVersion()).as("the write is guarded by what was read").isEqualTo("7");
        assertThat(phase1.getMetadata().getAnnotations()).doesNotContainKey(CaRoll.RENEW)
                .containsEntry(CaRoll.PHASE, "trust-new").containsEntry(CaRoll.SINCE, t0.toString());
        assertThat(ClusterCa.fromSecret(phase1).certificate()).as("still issuing from the old CA").isEqualTo(OLD.certificate());
        assertThat(bundle(phase1)).containsExactly(OLD.certificate().getSubjectX500Principal().getName(), NEW.certificate().getSubjectX500Principal().getName());
        assertThat(CaRoll.state(phase1).phase()).isEqualTo(CaRoll.Phase.TRUST_NEW);
        assertThat(CaRoll.next(CaRoll.state(phase1), t0.plus(Duration.ofMinutes(1)), SETTINGS)).as("propagating").isInstanceOf(CaRoll.Action.Wait.class);

        Instant t1 = t0.plus(Duration.ofMinutes(2));
        CaRoll.Action issue = CaRoll.next(CaRoll.state(phase1), t1, SETTINGS);
        assertThat(issue).isInstanceOf(CaRoll.Action.IssueFromNew.class);
        Secret phase2 = CaRoll.apply(phase1, issue, t1, () -> {
            throw new AssertionError("no new CA in phase 2");
        });
        assertThat(ClusterCa.fromSecret(phase2).certificate()).isEqualTo(NEW.certificate());
        assertThat(ClusterCa.fromSecret(phase2).key()).isEqualTo(NEW.key());
        assertThat(phase2.getData()).containsKey(CaRoll.OLD_CERT).doesNotContainKeys(CaRoll.NEXT_CERT, CaRoll.NEXT_KEY);
        assertThat(bundle(phase2)).containsExactly(NEW.certificate().getSubjectX500Principal().getName(), OLD.certificate().getSubjectX500Principal().getName());
        assertThat(CaRoll.state(phase2).phase()).isEqualTo(CaRoll.Phase.ISSUE_NEW);
        // Old leaves live up to a leaf lifetime; a replica may issue one from the old CA until it sees the switch.
        assertThat(CaRoll.next(CaRoll.state(phase2), t1.plus(Duration.ofHours(24)), SETTINGS)).isInstanceOf(CaRoll.Action.Wait.class);

        Instant t2 = t1.plus(Duration.ofHours(24)).plus(Duration.ofMinutes(2));
        CaRoll.Action drop = CaRoll.next(CaRoll.state(phase2), t2, SETTINGS);
        assertThat(drop).isInstanceOf(CaRoll.Action.DropOld.class);
        Secret done = CaRoll.apply(phase2, drop, t2, () -> {
            throw new AssertionError("no new CA in phase 3");
        });
        assertThat(done.getData()).containsOnlyKeys(ClusterCa.CERT_KEY, ClusterCa.KEY_KEY);
        assertThat(done.getMetadata().getAnnotations()).doesNotContainKeys(CaRoll.PHASE, CaRoll.SINCE);
        assertThat(bundle(done)).containsExactly(NEW.certificate().getSubjectX500Principal().getName());
        assertThat(CaRoll.next(CaRoll.state(done), t2, SETTINGS)).as("a fresh CA: nothing to do").isInstanceOf(CaRoll.Action.Wait.class);
    }

    @Test
    void aReplicaThatReadsTheSecretLaterContinuesTheRollFromItsAnnotations() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        Secret phase1 = CaRoll.apply(secret(OLD, Map.of()), new CaRoll.Action.Start("test"), t0, () -> NEW);
        // A new leader a minute later waits out the rest of the propagation delay, then switches.
        assertThat(CaRoll.next(CaRoll.state(phase1), t0.plusSeconds(60), SETTINGS)).isInstanceOf(CaRoll.Action.Wait.class);
        assertThat(CaRoll.next(CaRoll.state(phase1), t0.plusSeconds(121), SETTINGS)).isInstanceOf(CaRoll.Action.IssueFromNew.class);
        // A renew request in the middle of a roll does not start a second one.
        Secret asked = new SecretBuilder(phase1).editMetadata().addToAnnotations(CaRoll.RENEW, "true").endMetadata().build();
        assertThat(CaRoll.next(CaRoll.state(asked), t0.plusSeconds(60), SETTINGS)).isInstanceOf(CaRoll.Action.Wait.class);
    }

    @Test
    void eachStepIsWrittenAsAMergePatchGuardedByTheResourceVersionRead() throws Exception {
        Secret phase1 = CaRoll.apply(secret(OLD, Map.of(CaRoll.RENEW, "true")), new CaRoll.Action.Start("test"), Instant.now(), () -> NEW);
        var patch = new com.fasterxml.jackson.databind.ObjectMapper().readTree(CaRotation.mergePatch(secret(OLD, Map.of(CaRoll.RENEW, "true")), phase1));
        assertThat(patch.at("/metadata/resourceVersion").asText()).isEqualTo("7");
        assertThat(patch.at("/metadata/annotations").has(CaRoll.RENEW)).isTrue();
        assertThat(patch.at("/metadata/annotations/" + CaRoll.RENEW.replace("/", "~1")).isNull()).as("removed: null").isTrue();
        assertThat(patch.at("/metadata/annotations/" + CaRoll.PHASE.replace("/", "~1")).asText()).isEqualTo("trust-new");
        assertThat(patch.at("/data").has(CaRoll.NEXT_KEY)).isTrue();
        assertThat(patch.at("/data").has(ClusterCa.CERT_KEY)).as("unchanged keys stay out of the patch").isFalse();
    }

    private static java.util.List<String> bundle(Secret s) throws Exception {
        return Pem.parseCertificates(CaRoll.bundlePem(s).getBytes(StandardCharsets.US_ASCII), "bundle").stream()
                .map(c -> c.getSubjectX500Principal().getName()).toList();
    }
}

package io.stripecast.controller.trust;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The issuing rule's reasons, and addresses compared as addresses (IPv6 written compressed by the API server). */
class IssuingRuleTest {

    static Pod pod(String name, String pool, String ip, boolean terminating) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName(name)
                .addToLabels("app.kubernetes.io/name", "stripecast-relay").addToLabels("stripecast.io/pool", pool).endMetadata()
                .withNewStatus().withPodIP(ip).endStatus();
        if (terminating) {
            b.editMetadata().withDeletionTimestamp("2026-12-07T00:00:00Z").endMetadata();
        }
        return b.build();
    }

    @Test
    void eachRefusalHasItsReasonWord() {
        assertThat(IssuingRule.check(null, "edge", "10.0.0.1").reason()).isEqualTo("no_pod");
        assertThat(IssuingRule.check(pod("a", "other", "10.0.0.1", false), "edge", "10.0.0.1").reason()).isEqualTo("wrong_pool");
        assertThat(IssuingRule.check(pod("a", "edge", "10.0.0.1", true), "edge", "10.0.0.1").reason()).isEqualTo("terminating");
        assertThat(IssuingRule.check(pod("a", "edge", "10.0.0.2", false), "edge", "10.0.0.1").reason()).isEqualTo("address_mismatch");
        assertThat(IssuingRule.check(pod("a", "edge", null, false), "edge", "10.0.0.1").reason()).isEqualTo("address_mismatch");
        assertThat(IssuingRule.check(pod("a", "edge", "10.0.0.1", false), "edge", "10.0.0.1")).isNull();
    }

    @Test
    void anIpv6PodIpMatchesTheCallerHoweverEitherIsWritten() {
        assertThat(IssuingRule.check(pod("a", "edge", "fd00::5", false), "edge", "fd00:0:0:0:0:0:0:5")).isNull();
        assertThat(IssuingRule.check(pod("a", "edge", "fd00::5", false), "edge", "fd00:0:0:0:0:0:0:6").reason()).isEqualTo("address_mismatch");
        assertThat(IssuingRule.sameAddress("10.0.0.1", "10.0.0.01x")).isFalse();
        assertThat(IssuingRule.sameAddress("relay.example", "relay.example")).as("equal strings").isTrue();
        assertThat(IssuingRule.sameAddress("relay.example", "10.0.0.1")).as("names are never resolved").isFalse();
    }
}

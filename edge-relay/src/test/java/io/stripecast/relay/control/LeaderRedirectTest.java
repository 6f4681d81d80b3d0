package io.stripecast.relay.control;

import io.grpc.Metadata;
import io.grpc.Status;
import io.stripecast.protocol.ControlTrailers;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A standby's redirect is followed only when it is an UNAVAILABLE with a well-formed host:port. */
class LeaderRedirectTest {
    private static Throwable refusal(Status status, String leader) {
        Metadata trailers = new Metadata();
        if (leader != null) {
            trailers.put(ControlTrailers.LEADER, leader);
        }
        return status.asRuntimeException(trailers);
    }

    @Test
    void standbyRefusalNamesTheLeader() {
        assertThat(LeaderRedirect.from(refusal(Status.UNAVAILABLE, "10.0.3.7:9200"))).isEqualTo("10.0.3.7:9200");
        assertThat(LeaderRedirect.from(refusal(Status.UNAVAILABLE, "controller-0.stripecast.svc:9200")))
                .isEqualTo("controller-0.stripecast.svc:9200");
        assertThat(LeaderRedirect.from(refusal(Status.UNAVAILABLE, "[fd00::1]:9200"))).isEqualTo("[fd00::1]:9200");
    }

    @Test
    void anythingElseIsNoRedirect() {
        assertThat(LeaderRedirect.from(null)).isNull();
        assertThat(LeaderRedirect.from(refusal(Status.UNAVAILABLE, null))).isNull();
        assertThat(LeaderRedirect.from(refusal(Status.INVALID_ARGUMENT, "10.0.3.7:9200"))).as("only a standby redirects").isNull();
        assertThat(LeaderRedirect.from(refusal(Status.UNAVAILABLE, "10.0.3.7"))).as("no port").isNull();
        assertThat(LeaderRedirect.from(refusal(Status.UNAVAILABLE, "10.0.3.7:99999"))).as("port out of range").isNull();
        assertThat(LeaderRedirect.from(refusal(Status.UNAVAILABLE, "evil.example/x:80"))).isNull();
        assertThat(LeaderRedirect.from(refusal(Status.UNAVAILABLE, "a".repeat(300) + ":80"))).as("too long").isNull();
    }
}

package io.stripecast.controller.control;

import io.stripecast.protocol.v1.StripeStatus;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class AdoptionWaitTest {
    private static StripeStatus status(int stripe, String parent, boolean receiving) {
        return StripeStatus.newBuilder().setStream("live").setStripe(stripe).setParentId(parent).setReceiving(receiving).build();
    }

    @Test
    void aLiveParentWithoutSessionIsAwaited() {
        var r1 = Map.of("live", Map.of(0, status(0, "ingest", true), 1, status(1, "r2", true)));
        var r2 = Map.of("live", Map.of(0, status(0, "r1", true), 1, status(1, "ingest", true)));
        assertThat(AdoptionWait.awaited(Set.of("r1", "r2"), List.of(r1, r2))).containsExactly("ingest");
    }

    @Test
    void nothingIsAwaitedOnceEveryLiveParentIsConnected() {
        var r1 = Map.of("live", Map.of(0, status(0, "ingest", true)));
        assertThat(AdoptionWait.awaited(Set.of("ingest", "r1"), List.of(r1))).isEmpty();
    }

    @Test
    void aParentNotDeliveringIsNotAwaited() {
        // r9 may be dead: waiting for it would only delay the repair of its children.
        var r1 = Map.of("live", Map.of(0, status(0, "r9", false), 1, status(1, "", false)));
        assertThat(AdoptionWait.awaited(Set.of("r1"), List.of(r1))).isEmpty();
    }

    @Test
    void awaitedRelaysAreListedOnceAcrossStreamsAndStripes() {
        var r1 = Map.of("live", Map.of(0, status(0, "r5", true), 1, status(1, "r3", true)),
                "other", Map.of(0, status(0, "r5", true)));
        assertThat(AdoptionWait.awaited(Set.of("r1"), List.of(r1))).containsExactly("r3", "r5");
    }
}

package io.stripecast.lab.cluster;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LinkShapeTest {
    @Test
    void netemCarriesOnlyThePartsThatAreSet() {
        assertThat(new LinkShape(20, 0, 0).netem("v1"))
                .containsExactly("tc", "qdisc", "replace", "dev", "v1", "root", "netem", "delay", "20ms");
        assertThat(new LinkShape(5, 1.5, 8).netem("v1"))
                .containsExactly("tc", "qdisc", "replace", "dev", "v1", "root", "netem", "delay", "5ms", "loss", "1.5%", "rate", "8mbit");
        assertThat(new LinkShape(0, 0, 0.5).netem("v1")).endsWith("rate", "0.5mbit");
    }

    @Test
    void tokenBucketHoldsAtLeastAPacketAndTwentyMillisecondsOfTheRate() {
        assertThat(new LinkShape(0, 0, 0.5).tbf("v2"))
                .containsExactly("tc", "qdisc", "replace", "dev", "v2", "root", "tbf", "rate", "0.5mbit", "burst", "16384", "latency", "400ms");
        // 100 Mbit/s for 20 ms = 250,000 bytes.
        assertThat(new LinkShape(0, 0, 100).tbf("v2")).contains("250000");
        assertThatThrownBy(() -> new LinkShape(10, 0, 0).tbf("v2")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void onlyDelayAndLossNeedNetem() {
        assertThat(new LinkShape(0, 0, 10).needsNetem()).isFalse();
        assertThat(new LinkShape(1, 0, 0).needsNetem()).isTrue();
        assertThat(new LinkShape(0, 0.1, 0).needsNetem()).isTrue();
        assertThat(LinkShape.NONE.isNone()).isTrue();
    }

    @Test
    void outOfRangeShapesAreRefused() {
        assertThatThrownBy(() -> new LinkShape(-1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LinkShape(0, 101, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LinkShape(0, 0, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}

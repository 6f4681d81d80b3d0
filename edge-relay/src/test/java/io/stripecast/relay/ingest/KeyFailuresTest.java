package io.stripecast.relay.ingest;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The backoff after wrong keys, per address: free mistakes, doubling waits up to a ceiling, a bounded memory. */
class KeyFailuresTest {
    @Test
    void waitsDoubleAfterTheFreeMistakesUpToTheCeiling() {
        KeyFailures f = new KeyFailures(2, 8000, 100);
        long now = 1_000_000;
        f.failed("10.0.0.1", now);
        f.failed("10.0.0.1", now);
        assertThat(f.waitMillis("10.0.0.1", now)).isZero();
        f.failed("10.0.0.1", now);
        assertThat(f.waitMillis("10.0.0.1", now)).isEqualTo(1000);
        f.failed("10.0.0.1", now);
        assertThat(f.waitMillis("10.0.0.1", now)).isEqualTo(2000);
        for (int i = 0; i < 40; i++) {
            f.failed("10.0.0.1", now);
        }
        assertThat(f.waitMillis("10.0.0.1", now)).isEqualTo(8000);
        assertThat(f.waitMillis("10.0.0.2", now)).isZero();
        f.succeeded("10.0.0.1");
        assertThat(f.waitMillis("10.0.0.1", now)).isZero();
    }

    @Test
    void memoryIsBoundedWhateverTheNumberOfAddresses() {
        KeyFailures f = new KeyFailures(0, 60_000, 100);
        for (int i = 0; i < 50_000; i++) {
            f.failed("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255), 1000);
            assertThat(f.tracked()).isLessThanOrEqualTo(100);
        }
        f.expire(1000 + 16 * 60_000 + 60_000);
        assertThat(f.tracked()).isZero();
    }

    @Test
    void anIpv6HostCountsByItsSlash64() {
        KeyFailures f = new KeyFailures(0, 60_000, 100);
        f.failed("2001:db8:1:2::1", 0);
        assertThat(f.waitMillis("2001:db8:1:2:ffff::9", 0)).isPositive();
        assertThat(f.waitMillis("2001:db8:1:3::1", 0)).isZero();
    }
}

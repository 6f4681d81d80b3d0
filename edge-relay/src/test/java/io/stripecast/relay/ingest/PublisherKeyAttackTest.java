package io.stripecast.relay.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.protocol.trust.PublisherKeys;
import io.stripecast.relay.RawHttp;
import io.stripecast.relay.RelayClient;
import io.stripecast.relay.stream.StreamRegistry;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 16, ingest keys: the relay holds only a verifier of the publisher key; keys shorter than the minimum never
 * pass; an address that keeps sending wrong keys has to wait (429 with Retry-After, counted), right keys included,
 * while a publisher at another address goes on publishing.
 */
@QuarkusTest
class PublisherKeyAttackTest {
    private static final String KEY = "live-key-0123456789";

    @TestHTTPResource("/")
    URL base;
    @Inject
    MeterRegistry registry;
    @Inject
    StreamRegistry streams;

    private double rejected(String reason) {
        Counter c = registry.find("stripecast.relay.ingest.rejected").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    /** What the relay answers a PUT sent from this local address: the status and the Retry-After header, if any. */
    private record Answer(int status, String retryAfter) {
    }

    private Answer putFrom(String localAddress, String file, String key) throws IOException {
        URI uri = URI.create(base.toString());
        try (Socket s = RawHttp.connectFrom(localAddress, uri.getPort())) {
            String[] lines = RawHttp.exchangeHead(s, "PUT /ingest/live/" + file + " HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody").split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            String retryAfter = null;
            for (String line : lines) {
                if (line.regionMatches(true, 0, "Retry-After:", 0, 12)) {
                    retryAfter = line.substring(12).strip();
                }
            }
            return new Answer(status, retryAfter);
        }
    }

    @Test
    void theRelayKeepsOnlyAVerifierOfTheKey() {
        var spec = streams.find("live").orElseThrow().spec();
        assertThat(spec.key()).isPresent();
        assertThat(PublisherKeys.matches(spec.key().get(), KEY)).isTrue();
        assertThat(spec.toString()).doesNotContain(KEY);
    }

    @Test
    void keysShorterThanTheMinimumNeverPass() throws Exception {
        // A 15-character prefix of the right key: refused unchecked, as a wrong key.
        assertThat(putFrom("127.0.0.3", "short.ts", KEY.substring(0, PublisherKeys.MIN_LENGTH - 1)).status()).isEqualTo(401);
        assertThat(putFrom("127.0.0.3", "right.ts", KEY).status()).as("the right key from the same address").isEqualTo(201);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PublisherKeys.verifier("fifteen-chars-x", PublisherKeys.newSalt()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 16");
    }

    @Test
    void wrongKeysEarnAnAddressA429WhileOtherPublishersGoOn() throws Exception {
        String attacker = "127.0.0.2";
        double backoffBefore = rejected("key_backoff");
        double badBefore = rejected("bad_key");
        // The first few mistakes are free (key-failures-before-backoff = 5): each is a plain 401.
        for (int i = 0; i < 5; i++) {
            assertThat(putFrom(attacker, "guess" + i + ".ts", "guess-" + i + "-0123456789abcdef").status()).as("guess %d", i).isEqualTo(401);
        }
        // The sixth wrong key starts the wait; from then on the address is refused unchecked, a right key too.
        assertThat(putFrom(attacker, "guess5.ts", "guess-5-0123456789abcdef").status()).isEqualTo(401);
        Answer blocked = putFrom(attacker, "guess6.ts", "guess-6-0123456789abcdef");
        assertThat(blocked.status()).isEqualTo(429);
        assertThat(Long.parseLong(blocked.retryAfter())).isBetween(1L, 300L);
        assertThat(putFrom(attacker, "right.ts", KEY).status()).as("the right key while the address waits").isEqualTo(429);
        assertThat(rejected("bad_key") - badBefore).isEqualTo(6);
        assertThat(rejected("key_backoff") - backoffBefore).isGreaterThanOrEqualTo(2);

        // Meanwhile the publisher at another address is not affected.
        new RelayClient(base.toString()).publish("live", KEY);
        assertThat(putFrom("127.0.0.4", "other-publisher.ts", KEY).status()).isEqualTo(201);

        // Once the wait is over a right key passes and clears the address: the next mistake is a 401 again.
        await("the wait is over").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> putFrom(attacker, "right.ts", KEY).status() == 201);
        assertThat(putFrom(attacker, "again.ts", "guess-7-0123456789abcdef").status()).isEqualTo(401);
        assertThat(registry.find("stripecast.relay.ingest.key.failure.addresses").gauge().value()).isGreaterThanOrEqualTo(1);
    }
}

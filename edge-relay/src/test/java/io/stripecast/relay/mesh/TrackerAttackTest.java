package io.stripecast.relay.mesh;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.relay.FakeParentResource;
import io.stripecast.relay.RawHttp;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 16, tracker: pages from other sites cannot use this edge's tracker (Origin allow-list: the edge's own origin
 * and the configured ones), and one client address holds a bounded number of tracker sockets (429 before the upgrade)
 * while other addresses still get in. Handshakes are sent by hand, from chosen loopback addresses.
 */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
class TrackerAttackTest {
    @TestHTTPResource("/")
    URL base;
    @Inject
    MeterRegistry registry;

    private double rejected(String reason) {
        Counter c = registry.find("stripecast.relay.tracker.rejected").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    /** An open handshake: the socket (kept open when upgraded) and the status the relay answered. */
    private record Handshake(Socket socket, int status, String head) {
    }

    private Handshake handshake(String from, String host, String origin) throws IOException {
        Socket s = RawHttp.connectFrom(from, base.getPort());
        String text = RawHttp.exchangeHead(s, RawHttp.upgradeRequest("/tracker/other", host, origin));
        int status = RawHttp.status(text);
        if (status != 101) {
            s.close();
        }
        return new Handshake(s, status, text);
    }

    private String host() {
        return "localhost:" + base.getPort();
    }

    @Test
    void pagesFromOtherSitesAreRefusedTheEdgesOwnAndConfiguredOnesAdmitted() throws Exception {
        double before = rejected("origin");
        for (String origin : List.of("https://evil.example", "http://evil.example:" + base.getPort(), "null",
                "http://localhost:" + (base.getPort() + 1), "https://player.example.net.evil.example", "http://player.example.net",
                "https://player.example.net/path")) {
            assertThat(handshake("127.0.0.1", host(), origin).status()).as("Origin %s", origin).isEqualTo(403);
        }
        assertThat(rejected("origin") - before).isEqualTo(7);

        List<Handshake> admitted = new ArrayList<>();
        try {
            for (String origin : List.of("http://localhost:" + base.getPort(), "http://LOCALHOST:" + base.getPort(),
                    "https://player.example.net", "https://player.example.net:443")) {
                Handshake h = handshake("127.0.0.1", host(), origin);
                admitted.add(h);
                assertThat(h.status()).as("Origin %s", origin).isEqualTo(101);
            }
            Handshake noOrigin = handshake("127.0.0.1", host(), null);
            admitted.add(noOrigin);
            assertThat(noOrigin.status()).as("no Origin: not a browser, bounded by the per-address cap").isEqualTo(101);
        } finally {
            for (Handshake h : admitted) {
                h.socket().close();
            }
        }
    }

    @Test
    void oneAddressHoldsAtMostItsShareOfSocketsAndOthersStillGetIn() throws Exception {
        double before = rejected("too_many_sockets");
        double addressesBefore = registry.find("stripecast.relay.tracker.addresses").gauge().value();
        List<Handshake> held = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                Handshake h = handshake("127.0.0.7", host(), null);
                held.add(h);
                assertThat(h.status()).as("socket %d", i).isEqualTo(101);
            }
            Handshake refused = handshake("127.0.0.7", host(), null);
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.head()).containsIgnoringCase("Retry-After:");
            assertThat(rejected("too_many_sockets") - before).isEqualTo(1);

            Handshake other = handshake("127.0.0.8", host(), null);
            held.add(other);
            assertThat(other.status()).as("another address").isEqualTo(101);

            // A socket that closes gives its slot back.
            held.remove(0).socket().close();
            await("a slot freed by the close").atMost(Duration.ofSeconds(10)).until(() -> {
                Handshake h = handshake("127.0.0.7", host(), null);
                if (h.status() == 101) {
                    held.add(h);
                    return true;
                }
                return false;
            });
        } finally {
            for (Handshake h : held) {
                h.socket().close();
            }
        }
        // The count map holds addresses with open sockets only: closing them all empties it of these two.
        await("every slot given back").atMost(Duration.ofSeconds(10))
                .until(() -> registry.find("stripecast.relay.tracker.addresses").gauge().value() <= addressesBefore);
    }
}

package io.stripecast.controller.control;

import io.stripecast.protocol.trust.PeerIdentity;
import io.stripecast.protocol.v1.Hello;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** A hello that claims another relay's id or pool, or an address it does not speak from, is refused. */
class HelloIdentityAttackTest {

    private static Hello hello(String id, String pool) {
        return Hello.newBuilder().setRelayId(id).setPool(pool).setDataAddress("10.0.0.1:9100").build();
    }

    @Test
    void idAndPoolMustBeTheCertificates() {
        assertThat(HelloIdentity.mismatch(hello("r1", "edge"), PeerIdentity.relay("edge", "r1"), true)).isNull();
        assertThat(HelloIdentity.mismatch(hello("r2", "edge"), PeerIdentity.relay("edge", "r1"), true)).contains("relay_id r2");
        assertThat(HelloIdentity.mismatch(hello("r1", "core"), PeerIdentity.relay("edge", "r1"), true)).contains("pool 'core'");
        assertThat(HelloIdentity.mismatch(hello("r1", ""), PeerIdentity.relay("edge", "r1"), true)).contains("pool ''");
        assertThat(HelloIdentity.mismatch(hello("r1", "edge"), PeerIdentity.CONTROLLER, true)).contains("controller certificate");
        assertThat(HelloIdentity.mismatch(hello("r1", "edge"), null, true)).isEqualTo("no certificate identity");
        assertThat(HelloIdentity.mismatch(hello("r1", "edge"), null, false)).as("plaintext: nothing to compare").isNull();
    }

    @ParameterizedTest(name = "{0} from {1}: {2}")
    @CsvSource({
            "10.0.0.1:9100, 10.0.0.1, true",
            "10.0.0.2:9100, 10.0.0.1, false",
            "127.0.0.1:9100, 127.0.0.1, true",
            "127.0.0.2:9100, 127.0.0.1, true",
            "127.0.0.1:9100, 10.0.0.1, false",
            "10.0.0.1:9100, 127.0.0.1, false",
            "relay.example.com:9100, 10.0.0.1, false",
            "[::1]:9100, 127.0.0.1, true",
            "10.0.0.1:9100, ::ffff:10.0.0.1, true",
            "[fd00::1]:9100, fd00::1, true",
            "[fd00::2]:9100, fd00::1, false",
    })
    void dataAddressMustBeWhereTheRelaySpeaksFrom(String address, String peer, boolean allowed) {
        assertThat(HelloIdentity.addressIsPeer(address, peer)).isEqualTo(allowed);
    }
}

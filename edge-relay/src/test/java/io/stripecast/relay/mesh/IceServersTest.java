package io.stripecast.relay.mesh;

import io.stripecast.relay.stream.StreamSpec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IceServersTest {
    private static final List<String> URLS = List.of("stun:stun.example.com:3478", "turn:127.0.0.1:3478?transport=udp",
            "turns:turn.example.com:5349");

    @Test
    void derivedCredentialsFollowTheTurnRestRuleCoturnChecks() {
        // Expected value computed outside Java: base64(HMAC-SHA1("turn-secret", "1700003600:live")).
        String[] credentials = IceServers.restCredentials("turn-secret", "live", 1_700_003_600L);
        assertThat(credentials[0]).isEqualTo("1700003600:live");
        assertThat(credentials[1]).isEqualTo("cTXl2kGTcFDIK9Z+Jn7Z8wcmz7k=");
    }

    @Test
    void turnUrlsCarryCredentialsThatExpireAfterTheTtlAndStunUrlsNone() {
        StreamSpec.Ice ice = new StreamSpec.Ice(URLS, true, Optional.of("static"), Optional.of("pw"), Optional.of("turn-secret"),
                Duration.ofHours(1));
        JsonArray page = IceServers.forPage(ice, "live", 1_700_000_000_000L);
        assertThat(page).hasSize(3);
        JsonObject stun = page.getJsonObject(0);
        assertThat(stun.fieldNames()).containsExactly("urls");
        for (int i = 1; i < 3; i++) {
            JsonObject turn = page.getJsonObject(i);
            assertThat(turn.getString("username")).as("the derived user wins over the static one").isEqualTo("1700003600:live");
            assertThat(turn.getString("credential")).isEqualTo("cTXl2kGTcFDIK9Z+Jn7Z8wcmz7k=");
        }
    }

    @Test
    void withoutASecretTurnUrlsCarryTheStaticUser() {
        StreamSpec.Ice ice = new StreamSpec.Ice(URLS, false, Optional.of("viewer"), Optional.of("pw"), Optional.empty(),
                Duration.ofHours(1));
        JsonObject turn = IceServers.forPage(ice, "live", 0).getJsonObject(1);
        assertThat(turn.getString("username")).isEqualTo("viewer");
        assertThat(turn.getString("credential")).isEqualTo("pw");
    }

    @Test
    void unboundedOrForeignSettingsAreRefused() {
        assertThatThrownBy(() -> new StreamSpec.Ice(Collections.nCopies(9, "stun:a.example"), false, Optional.empty(),
                Optional.empty(), Optional.empty(), Duration.ofHours(1))).hasMessageContaining("at most 8");
        assertThatThrownBy(() -> new StreamSpec.Ice(List.of("http://169.254.169.254/"), false, Optional.empty(), Optional.empty(),
                Optional.empty(), Duration.ofHours(1))).hasMessageContaining("not a stun:");
        assertThatThrownBy(() -> new StreamSpec.Ice(List.of("turn:a.example " + "x"), false, Optional.empty(), Optional.empty(),
                Optional.empty(), Duration.ofHours(1))).hasMessageContaining("not a stun:");
        assertThatThrownBy(() -> new StreamSpec.Ice(List.of("turn:a.example"), false, Optional.empty(), Optional.empty(),
                Optional.of("s"), Duration.ZERO)).hasMessageContaining("lifetime");
    }

    @Test
    void theSecretNeverAppearsInTheSpecsText() {
        StreamSpec.Ice ice = new StreamSpec.Ice(URLS, false, Optional.of("viewer"), Optional.of("pw"), Optional.of("turn-secret"),
                Duration.ofHours(1));
        assertThat(ice.toString()).doesNotContain("turn-secret").doesNotContain("pw");
    }
}

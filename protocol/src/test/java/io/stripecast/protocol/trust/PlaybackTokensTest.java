package io.stripecast.protocol.trust;

import io.stripecast.protocol.trust.PlaybackTokens.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The token of signed playback URLs: its bounds, its expiry window, and that no change to it passes. */
class PlaybackTokensTest {
    private static final String KEY = "playback-signing-key-0123456789abcdef";
    private static final long NOW = 1_800_000_000L;
    private static final long MAX = 7 * 86_400L;

    private static Verdict check(String exp, String sig) {
        return PlaybackTokens.check(KEY, "live", exp, sig, NOW, MAX);
    }

    @Test
    void theExpiryWindowIncludesNowAndTheMaximumAndNothingBeyond() {
        for (long exp : new long[] {NOW, NOW + 1, NOW + MAX}) {
            assertThat(check(Long.toString(exp), PlaybackTokens.sign(KEY, "live", exp))).as("exp now+%d", exp - NOW).isEqualTo(Verdict.VALID);
        }
        assertThat(check(Long.toString(NOW - 1), PlaybackTokens.sign(KEY, "live", NOW - 1))).isEqualTo(Verdict.EXPIRED);
        assertThat(check(Long.toString(NOW + MAX + 1), PlaybackTokens.sign(KEY, "live", NOW + MAX + 1))).isEqualTo(Verdict.TOO_FAR);
    }

    /** Known answer, as {@code printf '%s' '/live/live/|1800000600' | openssl dgst -sha256 -hmac KEY -binary | base64url}. */
    @Test
    void theSignatureIsHmacSha256OfThePrefixAndExpiryInBase64Url() throws Exception {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(KEY.getBytes(java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
        String expected = java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(mac.doFinal("/live/live/|1800000600".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(PlaybackTokens.sign(KEY, "live", NOW + 600)).isEqualTo(expected).hasSize(PlaybackTokens.SIGNATURE_LENGTH);
        assertThat(PlaybackTokens.query(KEY, "live", NOW + 600)).isEqualTo("exp=1800000600&sig=" + expected);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void noSingleCharacterChangeOfTheSignaturePasses(long seed) {
        Random random = new Random(seed);
        long exp = NOW + 1 + random.nextInt((int) MAX);
        String sig = PlaybackTokens.sign(KEY, "live", exp);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (int i = 0; i < sig.length(); i++) {
            for (char c : alphabet.toCharArray()) {
                if (c != sig.charAt(i)) {
                    String changed = sig.substring(0, i) + c + sig.substring(i + 1);
                    assertThat(check(Long.toString(exp), changed)).as("seed %d: position %d set to %s", seed, i, c)
                            .isEqualTo(Verdict.BAD_SIGNATURE);
                }
            }
        }
        assertThat(check(Long.toString(exp), sig)).as("seed %d", seed).isEqualTo(Verdict.VALID);
        assertThat(PlaybackTokens.check(KEY, "live2", Long.toString(exp), sig, NOW, MAX)).as("seed %d: another stream", seed)
                .isEqualTo(Verdict.BAD_SIGNATURE);
    }

    @Test
    void malformedAndMissingAreToldApartBeforeAnythingIsComputed() {
        String sig = PlaybackTokens.sign(KEY, "live", NOW + 60);
        assertThat(check(null, null)).isEqualTo(Verdict.MISSING);
        assertThat(check(Long.toString(NOW + 60), null)).isEqualTo(Verdict.MALFORMED);
        assertThat(check(null, sig)).isEqualTo(Verdict.MALFORMED);
        assertThat(check("", sig)).isEqualTo(Verdict.MALFORMED);
        assertThat(check("+1800000060", sig)).isEqualTo(Verdict.MALFORMED);
        assertThat(check("1".repeat(13), sig)).isEqualTo(Verdict.MALFORMED);
        assertThat(check(Long.toString(NOW + 60), sig + "=")).isEqualTo(Verdict.MALFORMED);
        assertThat(check(Long.toString(NOW + 60), sig.replace(sig.charAt(0), '+'))).isEqualTo(Verdict.MALFORMED);
        assertThat(check(Long.toString(NOW + 60), "x".repeat(100_000))).isEqualTo(Verdict.MALFORMED);
    }

    @Test
    void keysOutOfBoundsAreRefusedAndNeverNamed() {
        assertThat(PlaybackTokens.problem("a".repeat(31))).contains("at least 32").doesNotContain("aaaa");
        assertThat(PlaybackTokens.problem("a".repeat(257))).contains("at most 256");
        assertThat(PlaybackTokens.problem("a".repeat(31) + " ")).isNotNull();
        assertThat(PlaybackTokens.problem("a".repeat(32))).isNull();
        assertThatThrownBy(() -> PlaybackTokens.sign("short", "live", NOW)).isInstanceOf(IllegalArgumentException.class);
    }
}

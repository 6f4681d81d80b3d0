package io.stripecast.protocol.trust;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Signed, expiring playback URLs (issue 16, point 3): the token a stream's viewers carry in the query,
 * {@code ?exp=<unix seconds>&sig=<base64url(HMAC-SHA256(key, "/live/<stream>/|<exp>"))>} (no padding).
 *
 * <p>The signed path is the stream's prefix, not a file: one token covers the stream's playlist, segments,
 * {@code hashes.json}, player page, stats beacon and tracker, so every viewer asks for the same segment names and the
 * mesh's segment identity (sequence numbers within one swarm) is the same for all of them. A CDN operator knows the
 * shape (nginx {@code secure_link}, OvenMediaEngine's SignedPolicy, CDN token auth): an HMAC over a path and an
 * expiry, checked in constant time. The key is the Secret's string as UTF-8 bytes, as {@code openssl dgst -hmac}
 * takes it (bin/sign-playback-url).
 */
public final class PlaybackTokens {
    /** Shortest key: 32 characters ({@code openssl rand -hex 32} gives 64). An HMAC key is guessed offline from any URL. */
    public static final int MIN_KEY_LENGTH = 32;
    public static final int MAX_KEY_LENGTH = 256;
    /** Base64url of 32 bytes without padding. */
    public static final int SIGNATURE_LENGTH = 43;
    private static final Pattern EXPIRY = Pattern.compile("[0-9]{1,12}");
    private static final Pattern SIGNATURE = Pattern.compile("[A-Za-z0-9_-]{" + SIGNATURE_LENGTH + "}");

    private PlaybackTokens() {
    }

    /** Why a token is refused; the metric's reason label (few values, never the token). */
    public enum Verdict {
        VALID("valid"), MISSING("missing"), MALFORMED("malformed"), EXPIRED("expired"), TOO_FAR("too_far"),
        BAD_SIGNATURE("bad_signature");

        public final String reason;

        Verdict(String reason) {
            this.reason = reason;
        }
    }

    /** Null when the key is acceptable, else what is wrong with it (for a status message; never the key). */
    public static String problem(String key) {
        if (key == null || key.length() < MIN_KEY_LENGTH || key.length() > MAX_KEY_LENGTH) {
            return "the playback signing key must be at least " + MIN_KEY_LENGTH + " and at most " + MAX_KEY_LENGTH + " characters long";
        }
        if (!key.chars().allMatch(c -> c > 32 && c < 127)) {
            return "the playback signing key must be printable ASCII without spaces";
        }
        return null;
    }

    /** The path a token signs for a stream. */
    public static String prefix(String stream) {
        return "/live/" + stream + "/";
    }

    /** The {@code sig} of a token for this stream, valid until {@code expiresEpochSeconds}. */
    public static String sign(String key, String stream, long expiresEpochSeconds) {
        String problem = problem(key);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(mac(key, stream, expiresEpochSeconds));
    }

    /** {@code exp=...&sig=...}: the query a viewer's URL carries. */
    public static String query(String key, String stream, long expiresEpochSeconds) {
        return "exp=" + expiresEpochSeconds + "&sig=" + sign(key, stream, expiresEpochSeconds);
    }

    /**
     * Checks what a viewer sent ({@code exp} and {@code sig} as they came, null when absent) for {@code stream}.
     * Sizes are checked before anything is computed; the signature is compared in constant time.
     *
     * @param maxLifetimeSeconds how far in the future an expiry may lie (a token minted for years is a leaked key's twin)
     */
    public static Verdict check(String key, String stream, String exp, String sig, long nowEpochSeconds, long maxLifetimeSeconds) {
        if (exp == null && sig == null) {
            return Verdict.MISSING;
        }
        if (exp == null || sig == null || !EXPIRY.matcher(exp).matches() || !SIGNATURE.matcher(sig).matches()) {
            return Verdict.MALFORMED;
        }
        long expires = Long.parseLong(exp);
        if (expires < nowEpochSeconds) {
            return Verdict.EXPIRED;
        }
        if (expires - nowEpochSeconds > maxLifetimeSeconds) {
            return Verdict.TOO_FAR;
        }
        // Compared as text, not decoded: a decoder ignores the last character's low bits, so two spellings would pass.
        // The expiry as the viewer wrote it is what was signed: "0100" and "100" are different tokens.
        byte[] expected = Base64.getUrlEncoder().withoutPadding().encode(mac(key, stream, exp));
        return MessageDigest.isEqual(expected, sig.getBytes(StandardCharsets.US_ASCII)) ? Verdict.VALID : Verdict.BAD_SIGNATURE;
    }

    private static byte[] mac(String key, String stream, long expires) {
        return mac(key, stream, Long.toString(expires));
    }

    private static byte[] mac(String key, String stream, String expires) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal((prefix(stream) + "|" + expires).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}

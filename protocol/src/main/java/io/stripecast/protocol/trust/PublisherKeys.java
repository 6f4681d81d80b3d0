package io.stripecast.protocol.trust;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.v1.PublisherKeyVerifier;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * Publisher keys (issue 16): what a key must look like, and the verifier that travels instead of it. The controller
 * (or a relay's own configuration) turns a key into a {@link PublisherKeyVerifier}; the ingest relay checks what a
 * publisher presents against it. Whoever reads the control plane learns a salted HMAC, not the key.
 */
public final class PublisherKeys {
    /** Shortest key accepted anywhere: 16 characters (e.g. {@code openssl rand -hex 24} gives 48). */
    public static final int MIN_LENGTH = 16;
    /** Longest: a key travels in an HTTP header. */
    public static final int MAX_LENGTH = 256;
    private static final SecureRandom RANDOM = new SecureRandom();

    private PublisherKeys() {
    }

    /** Null when the key is acceptable, else what is wrong with it (for a status message; never the key). */
    public static String problem(String key) {
        if (key == null || key.length() < MIN_LENGTH || key.length() > MAX_LENGTH) {
            return "the publisher key must be at least " + MIN_LENGTH + " and at most " + MAX_LENGTH + " characters long";
        }
        if (!key.chars().allMatch(c -> c > 32 && c < 127)) {
            return "the publisher key must be printable ASCII without spaces";
        }
        return null;
    }

    public static byte[] newSalt() {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return salt;
    }

    /** A salt that stays the same for one stream within one process: assignments do not change at every send. */
    public static byte[] saltFor(byte[] processSecret, String stream) {
        byte[] mac = hmac(processSecret, stream.getBytes(StandardCharsets.UTF_8));
        byte[] salt = new byte[16];
        System.arraycopy(mac, 0, salt, 0, salt.length);
        return salt;
    }

    public static PublisherKeyVerifier verifier(String key, byte[] salt) {
        String problem = problem(key);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return PublisherKeyVerifier.newBuilder().setSalt(ByteString.copyFrom(salt))
                .setHmacSha256(ByteString.copyFrom(hmac(salt, key.getBytes(StandardCharsets.UTF_8)))).build();
    }

    /** Whether the presented key is the one the verifier was made from; constant time in the key's content. */
    public static boolean matches(PublisherKeyVerifier verifier, String presented) {
        if (presented == null || presented.length() < MIN_LENGTH || presented.length() > MAX_LENGTH) {
            return false;
        }
        byte[] given = hmac(verifier.getSalt().toByteArray(), presented.getBytes(StandardCharsets.UTF_8));
        return MessageDigest.isEqual(given, verifier.getHmacSha256().toByteArray());
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}

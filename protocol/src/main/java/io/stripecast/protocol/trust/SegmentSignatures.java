package io.stripecast.protocol.trust;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * Ed25519 signatures over a segment's metadata: the one place that says what the ingest signs and how a relay or
 * a browser checks it.
 *
 * <p>Why a canonical encoding of our own and not the protobuf bytes: protobuf serialisation is not canonical (field
 * order, unknown fields, default values may differ between writers), and the browser's player must rebuild the
 * exact bytes from {@code hashes.json} with a few lines of JavaScript. The layout is fixed, big-endian, every field
 * at a known width, behind a domain tag so that a signature over a segment can never be replayed as anything else:
 *
 * <pre>
 * "stripecast-segment-v1" 0x00
 * u8 len, stream name (ASCII)
 * u64 sequence, u32 kind, u64 media_sequence, u64 duration_micros, u8 discontinuity, u64 init_sequence,
 * u32 length, i64 ingest_time_millis, u8 len, sha256, u32 k, u32 m, u8 has_upstream, i64 upstream_sequence (0 if absent)
 * </pre>
 * Metadata that uses a field of issue 18 (a rendition other than 0, a part) is signed under the tag
 * {@code "stripecast-segment-v2" 0x00} with the same layout followed by
 * <pre>
 * u32 rendition, u32 part_index, u8 independent
 * </pre>
 * A part that carries a program date time is signed under {@code "stripecast-segment-v3" 0x00}: the v2 layout followed by
 * <pre>
 * i64 program_date_time_millis
 * </pre>
 * Which layout applies follows from the fields themselves, and the tag is signed: setting a v2 field on v1-signed
 * metadata changes the tag and the signature fails. Single-rendition streams without parts keep the v1 bytes, which
 * the browser's player rebuilds. A field added later is signed only once a layout names it, under a new tag; until
 * then a relay cannot be fooled by it only if nothing reads it, so add it here first.
 *
 * <p>Keys are the JDK's (generated, encoded and decoded through {@code java.security}); the signing and checking are
 * Bouncy Castle's RFC 8032 code. Every relay checks the signature of every part before it forwards it, so the check is
 * on each hop's critical path: JDK 17's Ed25519 took ~620 us to verify and ~630 us to sign, Bouncy Castle's ~76 us and
 * ~61 us (same warm JVM, docs/signed-segments.md). Ed25519 is deterministic: both give the same signature bytes, which
 * the browser's WebCrypto checks.
 */
public final class SegmentSignatures {
    public static final String ALGORITHM = "Ed25519";
    public static final int PUBLIC_KEY_BYTES = 32;
    public static final int SIGNATURE_BYTES = 64;
    private static final byte[] TAG = "stripecast-segment-v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TAG_V2 = "stripecast-segment-v2\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TAG_V3 = "stripecast-segment-v3\0".getBytes(StandardCharsets.US_ASCII);
    /** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw key follows. */
    private static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    /**
     * Each key decompressed once (a square root in the field): a relay checks every part under the same few keys. The
     * keys come from the controller (at most a handful per stream), so the bound only guards against a long-lived
     * process that saw many.
     */
    private static final int DECODED_KEYS_BOUND = 256;
    private static final Map<PublicKey, Ed25519.PublicPoint> DECODED = new ConcurrentHashMap<>();

    private SegmentSignatures() {
    }

    /** A fresh key pair; the private half never leaves the relay that made it. */
    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is part of every JDK since 15", e);
        }
    }

    /** The bytes that are signed: the stream's name and every field of the metadata except its signature. */
    public static byte[] canonical(String stream, SegmentMeta meta) {
        byte[] name = stream.getBytes(StandardCharsets.US_ASCII);
        if (name.length > 255) {
            throw new IllegalArgumentException("stream name longer than 255 bytes");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(160);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            boolean v3 = usesV3(meta);
            boolean v2 = v3 || usesV2(meta);
            out.write(v3 ? TAG_V3 : v2 ? TAG_V2 : TAG);
            out.writeByte(name.length);
            out.write(name);
            out.writeLong(meta.getSequence());
            out.writeInt(meta.getKindValue());
            out.writeLong(meta.getMediaSequence());
            out.writeLong(meta.getDurationMicros());
            out.writeByte(meta.getDiscontinuity() ? 1 : 0);
            out.writeLong(meta.getInitSequence());
            out.writeInt(meta.getLength());
            out.writeLong(meta.getIngestTimeMillis());
            byte[] sha = meta.getSha256().toByteArray();
            out.writeByte(Math.min(sha.length, 255));
            out.write(sha, 0, Math.min(sha.length, 255));
            out.writeInt(meta.getK());
            out.writeInt(meta.getM());
            out.writeByte(meta.hasUpstreamSequence() ? 1 : 0);
            out.writeLong(meta.hasUpstreamSequence() ? meta.getUpstreamSequence() : 0);
            if (v2) {
                out.writeInt(meta.getRendition());
                out.writeInt(meta.getPartIndex());
                out.writeByte(meta.getIndependent() ? 1 : 0);
            }
            if (v3) {
                out.writeLong(meta.getProgramDateTimeMillis());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Whether the metadata needs the v2 layout: it names a rendition or is (or claims to be) part of a segment. */
    static boolean usesV2(SegmentMeta meta) {
        return meta.getRendition() != 0 || meta.getPartIndex() != 0 || meta.getIndependent()
                || meta.getKind() == SegmentKind.SEGMENT_KIND_FMP4_PART || meta.getKind() == SegmentKind.SEGMENT_KIND_RENDITIONS
                || meta.getKind() == SegmentKind.SEGMENT_KIND_PARTS_END;
    }

    /** Whether the metadata needs the v3 layout: it carries a program date time. */
    static boolean usesV3(SegmentMeta meta) {
        return meta.getProgramDateTimeMillis() != 0;
    }

    /** The metadata with its signature set. */
    public static SegmentMeta sign(PrivateKey key, String stream, SegmentMeta meta) {
        if (!(key instanceof EdECPrivateKey ed) || !ALGORITHM.equals(ed.getParams().getName()) || ed.getBytes().isEmpty()) {
            throw new IllegalArgumentException("not an Ed25519 private key with its seed: " + key.getAlgorithm());
        }
        byte[] data = canonical(stream, meta);
        byte[] signature = new byte[SIGNATURE_BYTES];
        Ed25519.sign(ed.getBytes().get(), 0, data, 0, data.length, signature, 0);
        return meta.toBuilder().setSignature(ByteString.copyFrom(signature)).build();
    }

    /** True when the metadata carries a signature by one of {@code keys} over exactly these fields. */
    public static boolean verify(String stream, SegmentMeta meta, Collection<PublicKey> keys) {
        if (meta.getSignature().size() != SIGNATURE_BYTES || keys.isEmpty()) {
            return false;
        }
        byte[] data = canonical(stream, meta);
        byte[] signature = meta.getSignature().toByteArray();
        for (PublicKey key : keys) {
            Ed25519.PublicPoint point = decoded(key);
            // A malformed signature (a point off the curve, a scalar out of range) is false, never an exception.
            if (point != null && Ed25519.verify(signature, 0, point, data, 0, data.length)) {
                return true;
            }
        }
        return false;
    }

    /** The key as a curve point, or null when its 32 bytes are not one. */
    private static Ed25519.PublicPoint decoded(PublicKey key) {
        Ed25519.PublicPoint point = DECODED.get(key);
        if (point == null) {
            if (!(key instanceof EdECPublicKey ed) || !ALGORITHM.equals(ed.getParams().getName())) {
                return null;
            }
            point = Ed25519.validatePublicKeyFullExport(raw(key), 0);
            if (point == null) {
                return null;
            }
            if (DECODED.size() >= DECODED_KEYS_BOUND) {
                DECODED.clear();
            }
            DECODED.put(key, point);
        }
        return point;
    }

    /** The raw 32-byte form (RFC 8032) that travels the control plane and WebCrypto imports as "raw". */
    public static byte[] raw(PublicKey key) {
        byte[] encoded = key.getEncoded();
        return Arrays.copyOfRange(encoded, encoded.length - PUBLIC_KEY_BYTES, encoded.length);
    }

    /** A public key from its raw 32 bytes; IllegalArgumentException for anything that is not one. */
    public static PublicKey publicKey(byte[] raw) {
        if (raw == null || raw.length != PUBLIC_KEY_BYTES) {
            throw new IllegalArgumentException("an Ed25519 public key is 32 bytes");
        }
        byte[] der = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + PUBLIC_KEY_BYTES);
        System.arraycopy(raw, 0, der, X509_PREFIX.length, PUBLIC_KEY_BYTES);
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 public key", e);
        }
    }
}

package io.stripecast.relay.trust;

import io.stripecast.protocol.trust.SegmentSignatures;

import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The ingest public keys a stream's segment metadata must be signed with, as the controller handed them out (the
 * current ingest, its standby, and a few recent ingests whose segments may still sit in windows). Immutable.
 */
public final class AcceptedKeys {
    /** The controller sends at most this many; more are ignored (a list that grows is a list someone pads). */
    public static final int MAX_KEYS = 4;

    private final List<byte[]> raw;
    private final List<PublicKey> keys;

    private AcceptedKeys(List<byte[]> raw, List<PublicKey> keys) {
        this.raw = raw;
        this.keys = keys;
    }

    /** Parses raw 32-byte keys; malformed ones are left out (the count says how many were usable). */
    public static AcceptedKeys of(List<byte[]> rawKeys) {
        List<byte[]> raw = new ArrayList<>();
        List<PublicKey> keys = new ArrayList<>();
        for (byte[] k : rawKeys) {
            if (keys.size() == MAX_KEYS) {
                break;
            }
            try {
                keys.add(SegmentSignatures.publicKey(k));
                raw.add(k.clone());
            } catch (IllegalArgumentException e) {
                // Not a key: it verifies nothing, so leaving it out changes nothing but the count.
            }
        }
        return new AcceptedKeys(List.copyOf(raw), List.copyOf(keys));
    }

    public static AcceptedKeys none() {
        return new AcceptedKeys(List.of(), List.of());
    }

    public List<PublicKey> keys() {
        return keys;
    }

    public boolean isEmpty() {
        return keys.isEmpty();
    }

    /** Base64 of each raw key, for the browser (WebCrypto imports them as "raw"). */
    public List<String> base64() {
        return raw.stream().map(k -> Base64.getEncoder().encodeToString(k)).toList();
    }

    /** True when this set holds a key {@code before} did not: shards dropped for want of it may verify now. */
    public boolean addsTo(AcceptedKeys before) {
        for (byte[] k : raw) {
            if (before == null || before.raw.stream().noneMatch(b -> Arrays.equals(b, k))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof AcceptedKeys other) || other.raw.size() != raw.size()) {
            return false;
        }
        for (int i = 0; i < raw.size(); i++) {
            if (!Arrays.equals(raw.get(i), other.raw.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (byte[] k : raw) {
            h = 31 * h + Arrays.hashCode(k);
        }
        return h;
    }
}

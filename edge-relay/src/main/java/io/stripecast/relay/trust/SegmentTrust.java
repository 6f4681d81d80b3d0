package io.stripecast.relay.trust;

import io.stripecast.protocol.trust.SegmentSignatures;
import io.stripecast.protocol.v1.SegmentMeta;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Whether one stream's segment metadata comes from its ingest: the signature must verify under one of the keys the
 * controller handed out for the stream. Until an assignment source hands out keys at all (the static topology file
 * names none), nothing is enforced: that mode has no controller to learn keys from, and says so at start.
 *
 * <p>Every shard of a segment repeats the same metadata, so a verified metadata is remembered per sequence and an
 * identical one (all fields and the signature equal) is not verified again: one Ed25519 check per segment, not per
 * shard.
 */
public final class SegmentTrust {
    private static final int REMEMBERED = 256;

    private final String stream;
    /** Null: not enforced (no source of keys); empty: enforced, but no key known yet. */
    private volatile AcceptedKeys keys;
    private final Map<Long, SegmentMeta> verified = new LinkedHashMap<>(32, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, SegmentMeta> eldest) {
            return size() > REMEMBERED;
        }
    };

    public SegmentTrust(String stream) {
        this.stream = stream;
    }

    /**
     * Sets the keys; returns true when a key was added (shards dropped for want of it are worth fetching again).
     * Null turns enforcement off (a source that hands out no keys).
     */
    public synchronized boolean setKeys(AcceptedKeys newKeys) {
        AcceptedKeys before = keys;
        if (newKeys != null && newKeys.equals(before)) {
            return false;
        }
        if (newKeys != null && newKeys.isEmpty() && before != null && !before.isEmpty()) {
            // An empty list says the controller has not heard the ingest's key yet (a new leader, before the ingest's
            // first report), not that the keys are revoked: keep verifying with what we had rather than drop everything.
            return false;
        }
        keys = newKeys;
        // Metadata verified under a key no longer accepted must be checked again.
        verified.clear();
        return newKeys != null && newKeys.addsTo(before);
    }

    public AcceptedKeys keys() {
        return keys;
    }

    public boolean enforced() {
        return keys != null;
    }

    /** Null when the metadata may be used, else the reason it is refused ("unsigned", "no_keys", "signature"). */
    public String problem(SegmentMeta meta) {
        AcceptedKeys k = keys;
        if (k == null) {
            return null;
        }
        if (meta.getSignature().isEmpty()) {
            return "unsigned";
        }
        if (k.isEmpty()) {
            return "no_keys";
        }
        synchronized (this) {
            if (meta.equals(verified.get(meta.getSequence()))) {
                return null;
            }
        }
        if (!SegmentSignatures.verify(stream, meta, k.keys())) {
            return "signature";
        }
        synchronized (this) {
            if (keys == k) {
                verified.put(meta.getSequence(), meta);
            }
        }
        return null;
    }
}

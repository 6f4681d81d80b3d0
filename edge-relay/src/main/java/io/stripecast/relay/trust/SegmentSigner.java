package io.stripecast.relay.trust;

import io.stripecast.protocol.trust.SegmentSignatures;
import io.stripecast.protocol.v1.SegmentMeta;

import java.security.KeyPair;

/**
 * An ingest relay's signing key for one stream, made on this relay the first time it is needed (as the stream's
 * ingest or standby ingest). The private half is never written, logged or sent: only the public half leaves, in the
 * relay's reports to the controller, which hands it to the relays that verify.
 */
public final class SegmentSigner {
    private final String stream;
    private final KeyPair pair;
    private final byte[] publicKey;

    public SegmentSigner(String stream) {
        this.stream = stream;
        this.pair = SegmentSignatures.generate();
        this.publicKey = SegmentSignatures.raw(pair.getPublic());
    }

    public SegmentMeta sign(SegmentMeta meta) {
        return SegmentSignatures.sign(pair.getPrivate(), stream, meta);
    }

    /** The raw 32-byte public key. */
    public byte[] publicKey() {
        return publicKey.clone();
    }
}

package io.stripecast.relay.rebuild;

import com.google.protobuf.ByteString;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.EndOfStream;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentKind;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.window.HeldBytes;
import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowEntry;
import org.jboss.logging.Logger;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Rebuilds segments from any k shards and regenerates the shards of stripes this relay lacks, so
 * that a relay orphaned in one stripe keeps feeding that stripe's subtree.
 *
 * <p>Regeneration is for stripes whose parent is gone at once, and for the others only after a
 * grace period: a shard that is merely still in flight is not worth recomputing. It is only for the sequences a
 * child of that stripe still lacks (none when no child follows the stripe here: a child subscribing later asks
 * again), it computes only the missing stripe's shard, and it runs on the relay's {@link Regenerator} worker,
 * never on the gRPC thread that delivered a shard or reported a parent gone.
 */
public final class SegmentAssembler {
    private static final Logger LOG = Logger.getLogger(SegmentAssembler.class);

    private final SegmentWindow window;
    private final StripeCodec codec;
    private final RelayMetrics metrics;
    private final UpstreamStatus upstream;
    private final ScheduledExecutorService timer;
    private final long graceMillis;
    private final String stream;
    private final Regenerator regenerator;
    private final RelayMetrics.StripeMeters[] stripeMeters;

    public SegmentAssembler(SegmentWindow window, RelayMetrics metrics, UpstreamStatus upstream,
                            ScheduledExecutorService timer, long graceMillis, Regenerator regenerator) {
        this.window = window;
        this.regenerator = regenerator;
        this.codec = new StripeCodec(window.spec().k(), window.spec().m());
        this.metrics = metrics;
        this.upstream = upstream;
        this.timer = timer;
        this.graceMillis = graceMillis;
        this.stream = window.spec().name();
        this.stripeMeters = new RelayMetrics.StripeMeters[window.spec().stripes()];
        for (int i = 0; i < stripeMeters.length; i++) {
            stripeMeters[i] = metrics.stripe(stream, i);
        }
    }

    /** A validated shard from a parent, whose bytes are its own. */
    public void accept(Shard shard) {
        accept(shard, null);
    }

    /**
     * A validated shard from a parent whose bytes are a view of {@code bytes} (null: its own), which this takes: the
     * window holds it with the shard, or it is given back.
     */
    public void accept(Shard received, HeldBytes bytes) {
        if (spare(received)) {
            if (bytes != null) {
                bytes.release();
            }
            stripeMeters[received.getStripe()].spareShardIn(received.getSegment().getIngestTimeMillis());
            return;
        }
        Shard shard = checkedAgainstRebuilt(received);
        if (shard != received && bytes != null) {
            // The lie is dropped; the true shard the window gets is an array of its own.
            bytes.release();
            bytes = null;
        }
        SegmentWindow.Offer offer = window.offer(shard, bytes);
        switch (offer) {
            case ADDED -> {
                stripeMeters[shard.getStripe()].shardIn(shard.getSegment().getIngestTimeMillis());
                tryAssemble(shard.getSegment().getSequence());
            }
            case CONFLICTING_META -> metrics.shardRejected(stream, "conflicting_meta");
            case TOO_OLD, DUPLICATE -> {
                // Normal after a resubscription or a regeneration: the copy we hold is identical.
            }
            case NO_ROOM -> {
                // The relay's window memory is full even of live edges; counted by the budget.
            }
        }
    }

    String stream() {
        return stream;
    }

    /**
     * A shard past the k-th, of a segment complete here, in a stripe no child takes from this relay: nothing here reads
     * it. Checking it against the segment (a parity row over the whole segment) and holding it were a tenth of a hop's
     * CPU and half a segment of window per segment in 2+1 (issue 17), for a shard any later use of which (a child that
     * subscribes to the stripe afterwards, an orphaned subtree) is regenerated from the checked segment anyway.
     */
    private boolean spare(Shard shard) {
        return window.takeSpare(shard.getSegment().getSequence(), shard.getStripe());
    }

    /**
     * A shard arriving after its segment was rebuilt here (every shard past the k-th does) is no longer checked by the
     * SHA-256 of a rebuild, so it is compared with the shard the true segment gives: a CRC-valid shard of wrong content
     * is counted and the true one is held (and forwarded) in its place, never the lie.
     */
    private Shard checkedAgainstRebuilt(Shard shard) {
        long seq = shard.getSegment().getSequence();
        WindowEntry entry = window.enter(seq);
        if (entry == null) {
            return shard;
        }
        try {
            if (!entry.isComplete() || window.shard(seq, shard.getStripe()) != null) {
                return shard;
            }
            if (ShardTruth.matches(codec, entry.segment(), shard)) {
                return shard;
            }
            byte[] truth = codec.shard(entry.segment().array(), entry.segment().length(), shard.getStripe());
            metrics.checksumFailure(stream, "shard_content");
            LOG.warnf("stream %s: segment %d stripe %d carried wrong bytes under a valid CRC; replaced", stream, seq, shard.getStripe());
            return Shards.owning(entry.meta(), shard.getStripe(), truth);
        } finally {
            entry.exit();
        }
    }

    /** A parent in this stripe went away: regenerate, off this (gRPC) thread, what the subtree below us lacks. */
    public void upstreamLost(int stripe) {
        request(stripe, window.completeLacking(stripe));
    }

    /**
     * A child subscribed to a stripe from {@code from}: what this relay holds complete but lacks in that stripe is
     * regenerated for it, at once when no parent feeds the stripe here, else after the grace (it may still come).
     */
    public void childSubscribed(int stripe, long from) {
        List<Long> lacking = new ArrayList<>();
        for (long seq : window.completeLacking(stripe)) {
            if (seq >= from) {
                lacking.add(seq);
            }
        }
        if (lacking.isEmpty()) {
            return;
        }
        if (!upstream.isReceiving(stripe)) {
            request(stripe, lacking);
            return;
        }
        // A shard that came and was let go as spare will not come again: no grace for it.
        List<Long> cameAsSpare = new ArrayList<>();
        List<Long> mayStillCome = new ArrayList<>();
        for (long seq : lacking) {
            (window.spareCame(seq, stripe) ? cameAsSpare : mayStillCome).add(seq);
        }
        if (!cameAsSpare.isEmpty()) {
            request(stripe, cameAsSpare);
        }
        if (!mayStillCome.isEmpty()) {
            timer.schedule(() -> request(stripe, mayStillCome), graceMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void tryAssemble(long seq) {
        if (!window.startAssembling(seq)) {
            return;
        }
        // Inside the entry while its shards are read and its segment checked: their arrays are not given back meanwhile.
        WindowEntry entry = window.enter(seq);
        if (entry == null) {
            return;
        }
        try {
            assemble(seq);
        } finally {
            entry.exit();
        }
    }

    private void assemble(long seq) {
        Shard[] held = window.shardsOf(seq);
        if (held == null) {
            return;
        }
        SegmentMeta meta = firstMeta(held);
        boolean allData = true;
        int present = 0;
        for (int i = 0; i < held.length; i++) {
            if (held[i] != null) {
                present++;
            } else if (i < codec.k()) {
                allData = false;
            }
        }
        HeldBytes segment = allData ? joinChecked(held, meta) : null;
        if (segment == null) {
            Copies copies = copies(held, meta);
            try {
                segment = allData ? null : decodeChecked(copies.arrays(), meta);
                if (segment == null) {
                    segment = decodeWithoutALiar(seq, copies.arrays(), meta);
                }
            } finally {
                copies.release();
            }
        }
        if (segment == null) {
            // Every shard passed its CRC, so some peer sent consistent lies. With one more shard we
            // can tell which; until then the segment waits.
            metrics.checksumFailure(stream, "segment");
            LOG.debugf("stream %s: segment %d does not match its SHA-256 yet", stream, seq);
            if (window.failAssembly(seq, present)) {
                tryAssemble(seq);
            }
            return;
        }
        // The window keeps the data shards it holds as views of the segment from now on (held is updated to match).
        if (!window.complete(seq, segment, held)) {
            return;
        }
        checkArrivedDuringRebuild(seq, held, segment);
        if (EndOfStream.is(meta)) {
            // Not a segment for the availability figures: the stream's end, now in this relay's playlist.
            metrics.streamEndReached(stream, meta.getIngestTimeMillis());
            LOG.infof("stream %s: ended by its publisher (marker %d); the playlist ends with ENDLIST", stream, seq);
        } else if (meta.getKind() == SegmentKind.SEGMENT_KIND_FMP4_PART) {
            // Ten parts a segment would swamp the segment figures: parts have their own (issue 18).
            metrics.partCompleted(stream, !allData, meta.getIngestTimeMillis());
        } else if (meta.getKind() != SegmentKind.SEGMENT_KIND_PARTS_END && meta.getKind() != SegmentKind.SEGMENT_KIND_RENDITIONS) {
            // A parts end or a ladder is a few bytes of bookkeeping, not a segment a viewer waits for.
            metrics.segmentCompleted(stream, !allData, meta.getIngestTimeMillis());
        }
        // Regenerated like media: an orphan's subtree must learn the end too.
        scheduleRegeneration(seq, held);
    }

    /**
     * Shards that entered the window while this rebuild ran were neither part of it nor checked on arrival (the segment
     * was not complete yet): each is compared with the true segment's shard now, so a lie among them is never held or
     * forwarded. A shard arriving after {@link SegmentWindow#complete} is checked on arrival instead.
     */
    private void checkArrivedDuringRebuild(long seq, Shard[] used, HeldBytes segment) {
        Shard[] now = window.shardsOf(seq);
        if (now == null) {
            return;
        }
        for (int i = 0; i < now.length; i++) {
            if (now[i] == null || now[i] == used[i]) {
                continue;
            }
            if (!ShardTruth.matches(codec, segment, now[i])) {
                window.replaceShard(seq, Shards.owning(now[i].getSegment(), i, codec.shard(segment.array(), segment.length(), i)));
                metrics.checksumFailure(stream, "shard_content");
                LOG.warnf("stream %s: segment %d stripe %d carried wrong bytes under a valid CRC; replaced", stream, seq, i);
            }
        }
    }

    /**
     * Every data shard is here: the segment is their bytes in order, copied once straight out of the received
     * messages (no array per shard, no decode) into an array of the relay's pool when it is media (the bulk of the
     * bytes, read only inside the entry; an init segment, a ladder or a marker is small and read freely, so it gets an
     * array of its own), then checked against its SHA-256.
     */
    private HeldBytes joinChecked(Shard[] held, SegmentMeta meta) {
        int length = meta.getLength();
        HeldBytes segment = isMedia(meta) ? window.buffers().take(length) : HeldBytes.of(new byte[length]);
        int at = 0;
        for (int i = 0; at < length; i++) {
            ByteString data = held[i].getData();
            int count = Math.min(data.size(), length - at);
            data.copyTo(segment.array(), 0, at, count);
            at += count;
        }
        if (isTheSegment(segment.array(), length, meta)) {
            return segment;
        }
        segment.release();
        return null;
    }

    private static boolean isMedia(SegmentMeta meta) {
        return meta.getKind() == SegmentKind.SEGMENT_KIND_MPEG_TS || meta.getKind() == SegmentKind.SEGMENT_KIND_FMP4_MEDIA
                || meta.getKind() == SegmentKind.SEGMENT_KIND_FMP4_PART;
    }

    /** Whether rebuilt bytes are the segment the ingest signed: its SHA-256. */
    private static boolean isTheSegment(byte[] segment, int length, SegmentMeta meta) {
        return MessageDigest.isEqual(Shards.sha256(segment, 0, length), meta.getSha256().toByteArray());
    }

    /** The held shards copied into arrays of the pool (the codec reads arrays from offset 0), given back together. */
    private record Copies(byte[][] arrays, HeldBytes[] held) {
        void release() {
            for (HeldBytes h : held) {
                if (h != null) {
                    h.release();
                }
            }
        }
    }

    /**
     * The held shards as arrays, for a decode from parity (or the search for a liar): a copy each into an array of the
     * pool. A shard of another length than the segment's shards is left out (a decode without it may still succeed).
     */
    private Copies copies(Shard[] held, SegmentMeta meta) {
        int shardLength = StripeCodec.shardLength(meta.getLength(), codec.k());
        byte[][] arrays = new byte[held.length][];
        HeldBytes[] leases = new HeldBytes[held.length];
        for (int i = 0; i < held.length; i++) {
            if (held[i] != null && held[i].getData().size() == shardLength) {
                leases[i] = window.buffers().take(shardLength);
                held[i].getData().copyTo(leases[i].array(), 0);
                arrays[i] = leases[i].array();
            }
        }
        return new Copies(arrays, leases);
    }

    /** Rebuilds the segment from {@code parts} (k or more, each a shard long at least) into an array of the pool, checked. */
    private HeldBytes decodeChecked(byte[][] parts, SegmentMeta meta) {
        int length = meta.getLength();
        int shardLength = StripeCodec.shardLength(length, codec.k());
        int present = 0;
        for (byte[] p : parts) {
            present += p == null ? 0 : 1;
        }
        if (present < codec.k()) {
            return null;
        }
        HeldBytes segment = isMedia(meta) ? window.buffers().take(length) : HeldBytes.of(new byte[length]);
        HeldBytes[] scratch = new HeldBytes[parts.length];
        byte[][] into = new byte[parts.length][];
        try {
            for (int i = 0; i < codec.k(); i++) {
                if (parts[i] == null) {
                    scratch[i] = window.buffers().take(shardLength);
                    into[i] = scratch[i].array();
                }
            }
            codec.decodeInto(parts, length, into, segment.array());
            if (isTheSegment(segment.array(), length, meta)) {
                return segment;
            }
        } catch (IllegalArgumentException e) {
            // Not decodable as given (the caller's search for a liar may still find a way).
        } finally {
            for (HeldBytes h : scratch) {
                if (h != null) {
                    h.release();
                }
            }
        }
        segment.release();
        return null;
    }

    /**
     * Leaves each held shard out in turn: if the rest rebuild the true segment, the one left out
     * was a lie; it is replaced by the true shard and counted. Needs k + 1 shards.
     */
    private HeldBytes decodeWithoutALiar(long seq, byte[][] parts, SegmentMeta meta) {
        int present = 0;
        for (byte[] part : parts) {
            present += part == null ? 0 : 1;
        }
        if (present <= codec.k()) {
            return null;
        }
        for (int suspect = 0; suspect < parts.length; suspect++) {
            if (parts[suspect] == null) {
                continue;
            }
            byte[][] without = parts.clone();
            without[suspect] = null;
            HeldBytes segment = decodeChecked(without, meta);
            if (segment != null) {
                window.replaceShard(seq, Shards.owning(meta, suspect, codec.shard(segment.array(), segment.length(), suspect)));
                metrics.checksumFailure(stream, "shard_content");
                LOG.warnf("stream %s: segment %d stripe %d carried wrong bytes under a valid CRC; replaced", stream, seq, suspect);
                return segment;
            }
        }
        return null;
    }

    private void scheduleRegeneration(long seq, Shard[] held) {
        List<Integer> now = new ArrayList<>();
        List<Integer> later = new ArrayList<>();
        for (int i = 0; i < held.length; i++) {
            if (held[i] == null) {
                (upstream.isReceiving(i) ? later : now).add(i);
            }
        }
        for (int s : now) {
            request(s, List.of(seq));
        }
        if (!later.isEmpty()) {
            timer.schedule(() -> later.forEach(s -> request(s, List.of(seq))), graceMillis, TimeUnit.MILLISECONDS);
        }
    }

    /** Queues the sequences a child of {@code stripe} still lacks; the rest nobody here would forward. */
    private void request(int stripe, List<Long> sequences) {
        long from = window.demandFrom(stripe);
        List<Long> wanted = new ArrayList<>();
        for (long seq : sequences) {
            if (seq >= from) {
                wanted.add(seq);
            }
        }
        if (wanted.size() < sequences.size()) {
            metrics.regenerationsSkipped(stream, "no_child", sequences.size() - wanted.size());
        }
        regenerator.submit(this, stripe, wanted);
    }

    /** On the regeneration worker: computes {@code stripe}'s shard of each sequence still complete, lacking it, and wanted. */
    void regenerateNow(int stripe, Collection<Long> sequences) {
        for (long seq : sequences) {
            if (seq < window.demandFrom(stripe)) {
                continue; // the child that wanted it left meanwhile
            }
            WindowEntry entry = window.enter(seq);
            if (entry == null) {
                continue;
            }
            try {
                if (!entry.isComplete() || window.shard(seq, stripe) != null) {
                    continue;
                }
                // Into an array of the pool, held by the entry with the shard like a received one.
                HeldBytes segment = entry.segment();
                int shardLength = StripeCodec.shardLength(segment.length(), codec.k());
                HeldBytes bytes = window.buffers().take(shardLength);
                codec.shardInto(segment.array(), segment.length(), stripe, bytes.array());
                Shard shard = Shards.owning(entry.meta(), stripe, bytes.array(), shardLength);
                if (window.offer(shard, bytes) == SegmentWindow.Offer.ADDED) {
                    metrics.regenerated(stream, stripe);
                }
            } finally {
                entry.exit();
            }
        }
    }

    private static SegmentMeta firstMeta(Shard[] held) {
        for (Shard s : held) {
            if (s != null) {
                return s.getSegment();
            }
        }
        throw new IllegalStateException("no shard held");
    }
}

package io.stripecast.relay.rebuild;

import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.shard.Shards;
import io.stripecast.protocol.v1.SegmentMeta;
import io.stripecast.protocol.v1.Shard;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.window.SegmentWindow;
import org.jboss.logging.Logger;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Rebuilds segments from any k shards and regenerates the shards of stripes this relay lacks, so
 * that a relay orphaned in one stripe keeps feeding that stripe's subtree.
 *
 * <p>Regeneration is for stripes whose parent is gone at once, and for the others only after a
 * grace period: a shard that is merely still in flight is not worth recomputing.
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

    public SegmentAssembler(SegmentWindow window, RelayMetrics metrics, UpstreamStatus upstream,
                            ScheduledExecutorService timer, long graceMillis) {
        this.window = window;
        this.codec = new StripeCodec(window.spec().k(), window.spec().m());
        this.metrics = metrics;
        this.upstream = upstream;
        this.timer = timer;
        this.graceMillis = graceMillis;
        this.stream = window.spec().name();
    }

    /** A validated shard from a parent. */
    public void accept(Shard shard) {
        SegmentWindow.Offer offer = window.offer(shard);
        switch (offer) {
            case ADDED -> {
                metrics.shardIn(stream, shard.getStripe());
                tryAssemble(shard.getSegment().getSequence());
            }
            case CONFLICTING_META -> metrics.shardRejected(stream, "conflicting_meta");
            case TOO_OLD, DUPLICATE -> {
                // Normal after a resubscription or a regeneration: the copy we hold is identical.
            }
        }
    }

    /** A parent in this stripe went away: regenerate what we can for the subtree below us. */
    public void upstreamLost(int stripe) {
        for (long seq : window.completeLacking(stripe)) {
            regenerate(seq, List.of(stripe));
        }
    }

    private void tryAssemble(long seq) {
        if (!window.startAssembling(seq)) {
            return;
        }
        Shard[] held = window.shardsOf(seq);
        if (held == null) {
            return;
        }
        SegmentMeta meta = firstMeta(held);
        int k = codec.k();
        int stripes = held.length;
        byte[][] parts = new byte[stripes][];
        boolean allData = true;
        for (int i = 0; i < stripes; i++) {
            if (held[i] != null) {
                parts[i] = held[i].getData().toByteArray();
            } else if (i < k) {
                allData = false;
            }
        }
        byte[] segment;
        try {
            segment = codec.decode(parts, meta.getLength());
        } catch (IllegalArgumentException e) {
            window.failAssembly(seq);
            metrics.shardRejected(stream, "undecodable");
            return;
        }
        if (!MessageDigest.isEqual(Shards.sha256(segment), meta.getSha256().toByteArray())) {
            // Every shard passed its CRC, so a peer sent consistent lies: give the segment up.
            window.failAssembly(seq);
            metrics.checksumFailure(stream, "segment");
            LOG.warnf("stream %s: segment %d rebuilt with a wrong SHA-256, dropped", stream, seq);
            return;
        }
        if (!window.complete(seq, segment)) {
            return;
        }
        metrics.segmentCompleted(stream, !allData, meta.getIngestTimeMillis());
        scheduleRegeneration(seq, held);
    }

    private void scheduleRegeneration(long seq, Shard[] held) {
        List<Integer> now = new ArrayList<>();
        List<Integer> later = new ArrayList<>();
        for (int i = 0; i < held.length; i++) {
            if (held[i] == null) {
                (upstream.isReceiving(i) ? later : now).add(i);
            }
        }
        if (!now.isEmpty()) {
            regenerate(seq, now);
        }
        if (!later.isEmpty()) {
            timer.schedule(() -> regenerate(seq, later), graceMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void regenerate(long seq, List<Integer> stripes) {
        var entry = window.entry(seq);
        if (entry == null || !entry.isComplete()) {
            return;
        }
        List<Integer> missing = new ArrayList<>();
        for (int s : stripes) {
            if (window.shard(seq, s) == null) {
                missing.add(s);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        byte[][] all = codec.encode(entry.segment());
        for (int s : missing) {
            Shard shard = Shards.of(entry.meta(), s, all[s]);
            if (window.offer(shard) == SegmentWindow.Offer.ADDED) {
                metrics.regenerated(stream, s);
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

package io.stripecast.relay.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.stripecast.relay.rebuild.Regenerator;
import io.stripecast.relay.window.SegmentWindow;
import io.stripecast.relay.window.WindowMemory;
import jakarta.inject.Singleton;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The relay's metrics, {@code stripecast_relay_*}. Labels are low-cardinality only: a stream that is
 * configured (never a name taken from a request), a stripe index, a fixed reason word.
 */
@Singleton
public class RelayMetrics {
    /** Round marks of a part's availability (issue 18 aims at 50 ms at depth 4). */
    private static final Duration[] PART_AVAILABILITY_MARKS = {Duration.ofMillis(10), Duration.ofMillis(20),
            Duration.ofMillis(30), Duration.ofMillis(40), Duration.ofMillis(50), Duration.ofMillis(75), Duration.ofMillis(100),
            Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofSeconds(1)};

    private final MeterRegistry registry;
    private final AtomicInteger activeSubscriptions = new AtomicInteger();
    private final AtomicInteger heldPlaylists = new AtomicInteger();
    private final AtomicInteger heldParts = new AtomicInteger();
    /** stream/stripe -> that stripe's hot-path meters. */
    private final Map<String, StripeMeters> stripeMeters = new ConcurrentHashMap<>();
    private final EgressRate egress = new EgressRate();
    /** The playback part of {@link #egress}: the controller budgets uplinks with it (one uplink, many streams). */
    private final EgressRate playbackEgress = new EgressRate();

    @Inject
    public RelayMetrics(MeterRegistry registry) {
        this.registry = registry;
        registry.gauge("stripecast.relay.subscriptions.active", activeSubscriptions);
        Gauge.builder("stripecast.relay.playback.held.requests", heldPlaylists, AtomicInteger::get)
                .description("Playlist requests held for a segment not listed yet (_HLS_msn)").register(registry);
        Gauge.builder("stripecast.relay.playback.held.parts", heldParts, AtomicInteger::get)
                .description("Part requests held for a part not here yet (LL-HLS preload hints)").register(registry);
        // The autoscaler's egress metric (RelayPool autoscaling.targetEgressMbps reads it through an adapter).
        Gauge.builder("stripecast.relay.egress.mbps", egress, e -> e.mbps(System.currentTimeMillis()))
                .description("Shard push plus playback egress over the last ~10 s, Mbit/s").register(registry);
    }

    /** Shard push plus playback egress over the last ~10 s, Mbit/s (what the gauge shows; reported to the controller). */
    public double egressMbps() {
        return egress.mbps(System.currentTimeMillis());
    }

    /** Playback egress to viewers over the last ~10 s, Mbit/s. */
    public double playbackEgressMbps() {
        return playbackEgress.mbps(System.currentTimeMillis());
    }

    public void ingestSegment(String stream, long bytes) {
        registry.counter("stripecast.relay.ingest.segments", "stream", stream).increment();
        registry.counter("stripecast.relay.ingest.bytes", "stream", stream).increment(bytes);
    }

    /** This relay, a standby ingest, became the stream's root and continued the lost primary's numbering. */
    public void ingestTakeover(String stream) {
        registry.counter("stripecast.relay.ingest.takeovers", "stream", stream).increment();
    }

    public void ingestDropped(String stream, String reason) {
        registry.counter("stripecast.relay.ingest.segments.dropped", "stream", stream, "reason", reason).increment();
    }

    /**
     * An upload accepted and deliberately not used, {@code stripecast_relay_ingest_files_ignored_total{stream,reason}}:
     * {@code hls_beside_dash} (the HLS playlists ffmpeg's DASH muxer uploads beside its manifest with -hls_playlist).
     */
    public void ingestIgnored(String stream, String reason) {
        registry.counter("stripecast.relay.ingest.files.ignored", "stream", stream, "reason", reason).increment();
    }

    /** A rejected HTTP request; reason is one of a fixed set of words. */
    public void ingestRejected(String reason) {
        registry.counter("stripecast.relay.ingest.rejected", "reason", reason).increment();
    }

    /** Pull ingest refused a URI, an address or a redirect (issue 16, SSRF guard); reason is one of a fixed set of words. */
    public void pullRefused(String stream, String reason) {
        registry.counter("stripecast.relay.pull.refused", "stream", stream, "reason", reason).increment();
    }

    /** Client addresses the ingest remembers wrong publisher keys of (bounded by key-failure-addresses). */
    /**
     * {@code stripecast_relay_certificate_expiry_seconds}: seconds until this relay's certificate expires (renewal
     * keeps it above a third of the lifetime; falling towards 0 means renewals fail).
     */
    public void watchCertificateExpiry(java.util.function.DoubleSupplier seconds) {
        Gauge.builder("stripecast.relay.certificate.expiry.seconds", seconds::getAsDouble)
                .description("Seconds until this relay's TLS certificate expires").register(registry);
    }

    public void watchKeyFailures(java.util.function.IntSupplier tracked) {
        Gauge.builder("stripecast.relay.ingest.key.failure.addresses", tracked::getAsInt).register(registry);
    }

    /**
     * One stripe's hot-path meters, looked up once (by a child stream, by a stream's assembler) instead of once per
     * shard: a registry look-up builds tags and hashes them, which at 80 Mbit/s is thousands of times a second.
     */
    public StripeMeters stripe(String stream, int stripe) {
        return stripeMeters.computeIfAbsent(stream + "/" + stripe, key -> {
            AtomicLong lag = new AtomicLong();
            Gauge.builder("stripecast.relay.stripe.lag.seconds", lag, l -> l.get() / 1000.0)
                    .description("Ingest wall-clock time to the newest shard of this stripe arriving here")
                    .tags("stream", stream, "stripe", Integer.toString(stripe)).register(registry);
            return new StripeMeters(
                    registry.counter("stripecast.relay.shards.in", "stream", stream, "stripe", Integer.toString(stripe)),
                    Counter.builder("stripecast.relay.shards.spare")
                            .description("Shards that came after their segment was complete here, in a stripe no child"
                                    + " takes from this relay: counted in, neither checked nor kept")
                            .tags("stream", stream, "stripe", Integer.toString(stripe)).register(registry),
                    registry.counter("stripecast.relay.shards.out", "stream", stream, "stripe", Integer.toString(stripe)),
                    registry.counter("stripecast.relay.shard.bytes.out", "stream", stream), lag, egress);
        });
    }

    /** The meters of one (stream, stripe); see {@link #stripe}. */
    public static final class StripeMeters {
        private final Counter shardsIn;
        private final Counter shardsSpare;
        private final Counter shardsOut;
        private final Counter bytesOut;
        private final AtomicLong lagMillis;
        private final EgressRate egress;

        private StripeMeters(Counter shardsIn, Counter shardsSpare, Counter shardsOut, Counter bytesOut, AtomicLong lagMillis,
                             EgressRate egress) {
            this.shardsIn = shardsIn;
            this.shardsSpare = shardsSpare;
            this.shardsOut = shardsOut;
            this.bytesOut = bytesOut;
            this.lagMillis = lagMillis;
            this.egress = egress;
        }

        /** A new shard from a parent; its segment's ingest time gives this stripe's lag behind the ingest. */
        public void shardIn(long ingestTimeMillis) {
            shardsIn.increment();
            lagMillis.set(Math.max(0, System.currentTimeMillis() - ingestTimeMillis));
        }

        /**
         * A shard that came after its segment was complete here, in a stripe no child takes from this relay: counted in
         * (its stripe delivered) and as spare, then let go unchecked (any use of it later is regenerated from the segment).
         */
        public void spareShardIn(long ingestTimeMillis) {
            shardIn(ingestTimeMillis);
            shardsSpare.increment();
        }

        public void shardOut(int bytes) {
            shardsOut.increment();
            bytesOut.increment(bytes);
            egress.add(bytes);
        }
    }

    public void shardRejected(String stream, String reason) {
        registry.counter("stripecast.relay.shards.rejected", "stream", stream, "reason", reason).increment();
    }

    public void checksumFailure(String stream, String kind) {
        registry.counter("stripecast.relay.checksum.failures", "stream", stream, "kind", kind).increment();
    }

    /**
     * A part of a low-latency segment complete here (issue 18): counted apart from segments, and its availability
     * (ingest to here) in a histogram of its own, so that ten parts a segment do not swamp the segment figures.
     */
    public void partCompleted(String stream, boolean usedParity, long ingestTimeMillis) {
        registry.counter("stripecast.relay.parts.completed", "stream", stream).increment();
        if (usedParity) {
            registry.counter("stripecast.relay.reconstructions", "stream", stream).increment();
        }
        // Buckets at round figures besides the generated ones, so "complete within 50 ms" is read exactly, not from a
        // bucket that straddles it.
        sinceIngest(Timer.builder("stripecast.relay.part.availability")
                .description("Ingest wall-clock time to part complete at this relay")
                .serviceLevelObjectives(PART_AVAILABILITY_MARKS), stream, ingestTimeMillis);
    }

    public void segmentCompleted(String stream, boolean usedParity, long ingestTimeMillis) {
        registry.counter("stripecast.relay.segments.completed", "stream", stream).increment();
        if (usedParity) {
            registry.counter("stripecast.relay.reconstructions", "stream", stream).increment();
        }
        sinceIngest(Timer.builder("stripecast.relay.segment.availability")
                .description("Ingest wall-clock time to segment complete at this relay"), stream, ingestTimeMillis);
    }

    /** Time from the ingest's clock to now, in a per-stream histogram (clocks a little ahead count as zero). */
    private void sinceIngest(Timer.Builder timer, String stream, long ingestTimeMillis) {
        long latency = Math.max(0, System.currentTimeMillis() - ingestTimeMillis);
        timer.tag("stream", stream)
                .publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry)
                .record(Duration.ofMillis(latency));
    }

    /** The ingest published a stream's end; cause is {@code endlist} or {@code delete}. */
    public void streamEnded(String stream, String cause) {
        registry.counter("stripecast.relay.stream.ends", "stream", stream, "cause", cause).increment();
    }

    /** The ingest saw a stream published again after its end: a new run. */
    public void streamRestarted(String stream) {
        registry.counter("stripecast.relay.stream.restarts", "stream", stream).increment();
    }

    /** A stream's end became known here (ingest: published; others: marker rebuilt); the delay is from the ingest's clock. */
    public void streamEndReached(String stream, long ingestTimeMillis) {
        sinceIngest(Timer.builder("stripecast.relay.stream.end.delay")
                .description("Ingest wall-clock time of a stream's end to this relay's playlist ending (ENDLIST)"), stream,
                ingestTimeMillis);
    }

    public void regenerated(String stream, int stripe) {
        shardCounter("stripecast.relay.regenerations", stream, stripe).increment();
    }

    /** Counts one more held playlist request; false (and not counted) when {@code max} are held already. */
    public boolean playlistHeld(int max) {
        if (heldPlaylists.incrementAndGet() > max) {
            heldPlaylists.decrementAndGet();
            return false;
        }
        return true;
    }

    public void playlistReleased() {
        heldPlaylists.decrementAndGet();
    }

    /** Counts one more held part request; false (and not counted) when {@code max} are held already. */
    public boolean partHeld(int max) {
        if (heldParts.incrementAndGet() > max) {
            heldParts.decrementAndGet();
            return false;
        }
        return true;
    }

    public void partReleased() {
        heldParts.decrementAndGet();
    }

    /**
     * {@code stripecast_relay_playback_part_holds_total{outcome}}: what became of a request for a part not here yet:
     * {@code arrived} (answered when it completed here), {@code gone} (its segment ended without it: 404),
     * {@code timeout} (503), {@code busy} (too many held: 503), {@code left} (the viewer went first).
     */
    public void partHold(String outcome) {
        registry.counter("stripecast.relay.playback.part.holds", "outcome", outcome).increment();
    }

    /**
     * {@code stripecast_relay_playback_rejected_total{reason}}: a playback request that can never be answered, refused at
     * once: {@code bad_rendition} (8 or more), {@code bad_part} (64 or more), {@code part_too_far} (an {@code _HLS_part}
     * past the Advance Part Limit, or a part request far past the preload hint).
     */
    public void playbackRejected(String reason) {
        registry.counter("stripecast.relay.playback.rejected", "reason", reason).increment();
    }

    public void subscriptionOpened() {
        activeSubscriptions.incrementAndGet();
    }

    public void subscriptionClosed() {
        activeSubscriptions.decrementAndGet();
    }

    public void subscribeRejected(String reason) {
        registry.counter("stripecast.relay.subscribe.rejected", "reason", reason).increment();
    }

    public void slowChildCutOff(String stream) {
        registry.counter("stripecast.relay.slow.child.cutoffs", "stream", stream).increment();
    }

    public void parentReconnect(String stream, int stripe) {
        shardCounter("stripecast.relay.parent.reconnects", stream, stripe).increment();
    }

    public void playbackRequest(String kind, int status) {
        registry.counter("stripecast.relay.playback.requests", "kind", kind, "status", Integer.toString(status)).increment();
    }

    /**
     * {@code stripecast_relay_playback_refused_total{reason}}: a request for a signed stream without a valid token (403):
     * {@code missing}, {@code malformed}, {@code expired}, {@code too_far}, {@code bad_signature}.
     */
    public void playbackRefused(String reason) {
        registry.counter("stripecast.relay.playback.refused", "reason", reason).increment();
    }

    public void playbackBytes(String stream, long bytes) {
        registry.counter("stripecast.relay.playback.bytes", "stream", stream).increment(bytes);
        egress.add(bytes);
        playbackEgress.add(bytes);
    }

    /**
     * Window gauges for a stream. They read whatever window the stream has now (a stream re-created
     * with new parameters gets a new one), and 0 once it is no longer carried.
     */
    /**
     * {@code stripecast_relay_demands_total{outcome}}: a viewer's request for a stream this relay does not carry:
     * {@code sent} (a Demand went to the controller), {@code coalesced} (one is outstanding for that stream),
     * {@code throttled} (over {@code demand-rate}), {@code unknown_stream} (not announced as on-demand: 404 at once).
     */
    public void demand(String outcome) {
        registry.counter("stripecast.relay.demands", "outcome", outcome).increment();
    }

    /** {@code stripecast_relay_on_demand_tracked_streams}: streams the on-demand maps hold (bounded; viewers' names never get in). */
    public void watchOnDemand(java.util.function.IntSupplier tracked) {
        io.micrometer.core.instrument.Gauge.builder("stripecast.relay.on.demand.tracked.streams", tracked::getAsInt).register(registry);
    }

    /** Client addresses holding tracker sockets now (bounded by the sockets). */
    public void watchTrackerAddresses(java.util.function.IntSupplier addresses) {
        Gauge.builder("stripecast.relay.tracker.addresses", addresses::getAsInt).register(registry);
    }

    public void trackerRejected(String reason) {
        registry.counter("stripecast.relay.tracker.rejected", "reason", reason).increment();
    }

    /** What a viewer reports it got over HTTP from this edge and from peers; the offload ratio follows. */
    public void meshBytes(String stream, long http, long p2p) {
        registry.counter("stripecast.relay.mesh.http.bytes", "stream", stream).increment(http);
        registry.counter("stripecast.relay.mesh.p2p.bytes", "stream", stream).increment(p2p);
        io.micrometer.core.instrument.Gauge.builder("stripecast.relay.mesh.offload.ratio", () -> offload(stream))
                .description("P2P bytes / (HTTP + P2P bytes) that viewers of this edge report").tag("stream", stream)
                .strongReference(true).register(registry);
    }

    private double offload(String stream) {
        double http = registry.counter("stripecast.relay.mesh.http.bytes", "stream", stream).count();
        double p2p = registry.counter("stripecast.relay.mesh.p2p.bytes", "stream", stream).count();
        return http + p2p == 0 ? 0 : p2p / (http + p2p);
    }

    public void watchWindow(String stream, java.util.function.Supplier<SegmentWindow> current) {
        io.micrometer.core.instrument.Gauge.builder("stripecast.relay.window.segments", () -> {
            SegmentWindow w = current.get();
            return w == null ? 0 : w.size();
        }).tag("stream", stream).strongReference(true).register(registry);
        io.micrometer.core.instrument.Gauge.builder("stripecast.relay.window.bytes", () -> {
            SegmentWindow w = current.get();
            return w == null ? 0 : w.bytes();
        }).tag("stream", stream).strongReference(true).register(registry);
        // 1 while the stream's window ends with the publisher's end (served VOD-like until it expires), else 0.
        io.micrometer.core.instrument.Gauge.builder("stripecast.relay.stream.ended", () -> {
            SegmentWindow w = current.get();
            var newest = w == null ? null : w.entry(w.lastSequence());
            return newest != null && newest.isEnd() ? 1 : 0;
        }).tag("stream", stream).strongReference(true).register(registry);
    }

    /** The relay's window memory: the budget and what every window holds together (per stream: {@link #watchWindow}). */
    public void watchWindowMemory(WindowMemory memory) {
        Gauge.builder("stripecast.relay.window.memory.budget.bytes", memory, WindowMemory::budget)
                .description("Memory every stream's window shares on this relay").strongReference(true).register(registry);
        Gauge.builder("stripecast.relay.window.memory.bytes", memory, WindowMemory::held)
                .description("Bytes every stream's window holds together: shards, complete and incomplete segments")
                .strongReference(true).register(registry);
    }

    /**
     * {@code stripecast_relay_segment_files_bytes} and {@code _budget_bytes}: what the copies of watched streams'
     * segments in the memory-backed directory take ({@code stripecast.playback.segment-files-dir}), and may.
     */
    public void watchSegmentFiles(java.util.function.LongSupplier held, long budget) {
        Gauge.builder("stripecast.relay.segment.files.bytes", held, s -> s.getAsLong())
                .description("Bytes of segment copies served with sendfile, in the memory-backed directory")
                .strongReference(true).register(registry);
        Gauge.builder("stripecast.relay.segment.files.budget.bytes", () -> budget)
                .description("The most the segment copies may take together").strongReference(true).register(registry);
    }

    /** {@code stripecast_relay_segment_files_written_total}: a complete segment copied into a file to be served from. */
    public void segmentFileWritten() {
        registry.counter("stripecast.relay.segment.files.written").increment();
    }

    /** {@code stripecast_relay_segment_files_evicted_total}: a copy deleted early to make room for a newer segment's. */
    public void segmentFileEvicted() {
        registry.counter("stripecast.relay.segment.files.evicted").increment();
    }

    /**
     * {@code stripecast_relay_segment_files_skipped_total{reason}}: a segment of a watched stream served from memory
     * instead of a file: {@code budget} (larger than the whole budget), {@code busy} (the writer is
     * behind), {@code failed} (writing failed), {@code open_failed} (the file could not be opened to send it).
     */
    public void segmentFileSkipped(String reason) {
        registry.counter("stripecast.relay.segment.files.skipped", "reason", reason).increment();
    }

    /**
     * {@code stripecast_relay_playback_segments_total{from}}: whole segments answered {@code file} (sendfile from
     * the segment's copy) or {@code memory} (from the window).
     */
    public void playbackSegmentFrom(String from) {
        registry.counter("stripecast.relay.playback.segments", "from", from).increment();
    }

    /** Counts what the window budget does, per stream. */
    public WindowMemory.Events windowMemoryEvents() {
        return new WindowMemory.Events() {
            @Override
            public void evictedForBudget(String stream, long bytes) {
                registry.counter("stripecast.relay.window.budget.evictions", "stream", stream).increment();
                registry.counter("stripecast.relay.window.budget.evicted.bytes", "stream", stream).increment(bytes);
            }

            @Override
            public void expiredIncomplete(String stream, long bytes) {
                registry.counter("stripecast.relay.window.incomplete.expired", "stream", stream).increment();
                registry.counter("stripecast.relay.window.incomplete.expired.bytes", "stream", stream).increment(bytes);
            }

            @Override
            public void refused(String stream, long bytes) {
                registry.counter("stripecast.relay.window.refused", "stream", stream).increment();
            }
        };
    }

    public void watchRegenerator(Regenerator regenerator) {
        Gauge.builder("stripecast.relay.regeneration.queue", regenerator, Regenerator::waiting)
                .description("Sequences waiting for the regeneration worker").strongReference(true).register(registry);
    }

    /** Time the regeneration worker spent on one batch of a stream's stripe. */
    public void regenerationWork(String stream, long nanos) {
        Timer.builder("stripecast.relay.regeneration.work").description("Regeneration worker time per batch")
                .tag("stream", stream).register(registry).record(Duration.ofNanos(nanos));
    }

    /** Lost shards not regenerated: {@code no_child} (no child of the stripe lacks them) or {@code queue_full}. */
    public void regenerationsSkipped(String stream, String reason, long count) {
        registry.counter("stripecast.relay.regenerations.skipped", "stream", stream, "reason", reason).increment(count);
    }


    private Counter shardCounter(String name, String stream, int stripe) {
        return registry.counter(name, "stream", stream, "stripe", Integer.toString(stripe));
    }
}

package io.stripecast.controller.registry;

import io.grpc.stub.ServerCallStreamObserver;
import io.stripecast.controller.forest.RelayInfo;
import io.stripecast.protocol.v1.Assignments;
import io.stripecast.protocol.v1.ControllerMessage;
import io.stripecast.protocol.v1.Report;
import io.stripecast.protocol.v1.StripeStatus;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One relay's live control-plane session: what it said about itself, what it last reported, and
 * the stream to send it assignments on. Mutated only on the coordinator's thread, except
 * {@link #send} (any thread, serialised) and {@link #touch}.
 */
public final class RelaySession {
    private final String id;
    private final String peerHost;
    private final String dataAddress;
    private final String playbackUrl;
    private final String zone;
    private final double uplinkMbps;
    private final String pool;
    private final boolean ingest;
    private final ServerCallStreamObserver<ControllerMessage> out;
    private final Consumer<ControllerMessage> sentHook;
    private volatile long lastSeenMillis;
    private boolean draining;
    /** stream -> stripe -> last reported status. */
    private final Map<String, Map<Integer, StripeStatus>> stripes = new HashMap<>();
    private final Map<String, Double> bitrates = new HashMap<>();
    private double egressMbps;
    private double playbackEgressMbps;
    private Assignments lastSent;

    public RelaySession(String id, String peerHost, String dataAddress, String playbackUrl, String zone, double uplinkMbps,
                        String pool, boolean ingest, boolean draining, ServerCallStreamObserver<ControllerMessage> out, Consumer<ControllerMessage> sentHook,
                        long nowMillis) {
        this.id = id;
        this.peerHost = peerHost;
        this.dataAddress = dataAddress;
        this.playbackUrl = playbackUrl;
        this.zone = zone;
        this.uplinkMbps = uplinkMbps;
        this.pool = pool;
        this.ingest = ingest;
        this.draining = draining;
        this.out = out;
        this.sentHook = sentHook;
        this.lastSeenMillis = nowMillis;
    }

    public String id() {
        return id;
    }

    public String peerHost() {
        return peerHost;
    }

    public String dataAddress() {
        return dataAddress;
    }

    public String playbackUrl() {
        return playbackUrl;
    }

    public String zone() {
        return zone;
    }

    public double uplinkMbps() {
        return uplinkMbps;
    }

    /** The RelayPool this relay belongs to; empty outside Kubernetes. */
    public String pool() {
        return pool;
    }

    /** True for a pool's ingest relay. */
    public boolean ingest() {
        return ingest;
    }

    public boolean draining() {
        return draining;
    }

    public void markDraining() {
        draining = true;
    }

    public RelayInfo info() {
        return new RelayInfo(id, zone, uplinkMbps, draining);
    }

    public long lastSeenMillis() {
        return lastSeenMillis;
    }

    public void touch(long nowMillis) {
        lastSeenMillis = nowMillis;
    }

    /**
     * Keeps what the report says; returns false when one of its egress figures could not be true (NaN, infinite,
     * negative, beyond 1 Tbit/s): it is kept bounded, and the caller counts the report. Playback a little above the
     * whole is clamped but not counted: the relay samples the two rates a moment apart, so honest relays report it.
     */
    public boolean record(Report report) {
        stripes.clear();
        for (StripeStatus s : report.getStripesList()) {
            stripes.computeIfAbsent(s.getStream(), k -> new HashMap<>()).put(s.getStripe(), s);
        }
        report.getRatesList().forEach(r -> bitrates.put(r.getStream(), r.getBitrateBps()));
        egressMbps = boundedMbps(report.getEgressBps());
        double playback = boundedMbps(report.getPlaybackEgressBps());
        playbackEgressMbps = Math.min(egressMbps, playback);
        return plausible(report.getEgressBps()) && plausible(report.getPlaybackEgressBps());
    }

    /** A rate a relay can have sent: finite, not negative, at most 1 Tbit/s. */
    static boolean plausible(double bps) {
        return Double.isFinite(bps) && bps >= 0 && bps <= 1e12;
    }

    /** A reported rate as Mbit/s: NaN, infinities and negatives count as none, and no relay sends beyond 1 Tbit/s. */
    static double boundedMbps(double bps) {
        if (!Double.isFinite(bps) || bps <= 0) {
            return 0;
        }
        return Math.min(bps / 1e6, 1_000_000);
    }

    /** Measured egress (shards and playback) as last reported, Mbit/s; 0 before the first report. */
    public double egressMbps() {
        return egressMbps;
    }

    /** The playback part of {@link #egressMbps}, Mbit/s. */
    public double playbackEgressMbps() {
        return playbackEgressMbps;
    }

    /** What the relay last said about a stripe, or null. */
    public StripeStatus reported(String stream, int stripe) {
        Map<Integer, StripeStatus> m = stripes.get(stream);
        return m == null ? null : m.get(stripe);
    }

    public Map<String, Map<Integer, StripeStatus>> reportedStripes() {
        return stripes;
    }

    public double bitrate(String stream) {
        return bitrates.getOrDefault(stream, 0.0);
    }

    /** Sends the relay its assignments when they differ from what it last got; true when sent. */
    public boolean assign(Assignments assignments) {
        if (assignments.equals(lastSent)) {
            return false;
        }
        lastSent = assignments;
        send(ControllerMessage.newBuilder().setAssignments(assignments).build());
        return true;
    }

    public Assignments lastSent() {
        return lastSent;
    }

    public synchronized void send(ControllerMessage message) {
        try {
            out.onNext(message);
            sentHook.accept(message);
        } catch (RuntimeException gone) {
            // The session ended concurrently; the coordinator learns it from the stream's end.
        }
    }

    public synchronized void close(io.grpc.Status status) {
        try {
            if (status.isOk()) {
                out.onCompleted();
            } else {
                out.onError(status.asRuntimeException());
            }
        } catch (RuntimeException alreadyClosed) {
            // nothing to close
        }
    }

    public boolean isSameStream(ServerCallStreamObserver<ControllerMessage> other) {
        return out == other;
    }
}

package io.stripecast.controller.control;

import io.stripecast.controller.config.ControllerSettings;
import io.stripecast.protocol.Names;
import io.stripecast.protocol.trust.PlaybackTokens;
import io.stripecast.protocol.trust.PublisherKeys;

import java.time.Duration;
import java.util.Objects;

/**
 * A stream the controller plans a forest for, whichever way it was declared: in the controller's configuration
 * (a fixed ingest relay) or by a LiveStream (rooted at its RelayPool's ingest relay, carried by that pool only).
 *
 * @param ingestRelay the fixed root, or null when the root is the pool's ingest relay
 * @param pool        the RelayPool whose relays carry the stream, or null for every relay
 * @param owner       who declared it ("config", or "namespace/name" of a LiveStream): two owners cannot share a name
 * @param publisherKey null for an open ingest
 * @param pullUrl     null for push ingest
 * @param meshMaxPeers 0 to leave the mesh to the relays' own settings
 * @param standbyIngestRelay the fixed stream's standby ingest, or null (a pool stream's standby is the pool's other
 *                           connected ingest relay)
 * @param ice          STUN/TURN servers for the mesh's browsers ({@link IceSettings#NONE}: the relays' own)
 * @param playbackSigningKey the HMAC key of the stream's signed playback URLs, or null for open playback (every relay
 *                           of the stream gets it: each edge checks its viewers' tokens)
 */
public record StreamDefinition(String name, int k, int m, Duration window, String ingestRelay, String pool, boolean onDemand,
                               double bitrateHintMbps, String publisherKey, String pullUrl, boolean meshEnabled,
                               int meshMaxPeers, String owner, String standbyIngestRelay, IceSettings ice,
                               String playbackSigningKey) {

    /** A stream with open playback. */
    public StreamDefinition(String name, int k, int m, Duration window, String ingestRelay, String pool, boolean onDemand,
                            double bitrateHintMbps, String publisherKey, String pullUrl, boolean meshEnabled,
                            int meshMaxPeers, String owner, String standbyIngestRelay, IceSettings ice) {
        this(name, k, m, window, ingestRelay, pool, onDemand, bitrateHintMbps, publisherKey, pullUrl, meshEnabled, meshMaxPeers,
                owner, standbyIngestRelay, ice, null);
    }

    /** A stream whose mesh (if any) uses the relays' own ICE settings. */
    public StreamDefinition(String name, int k, int m, Duration window, String ingestRelay, String pool, boolean onDemand,
                            double bitrateHintMbps, String publisherKey, String pullUrl, boolean meshEnabled,
                            int meshMaxPeers, String owner, String standbyIngestRelay) {
        this(name, k, m, window, ingestRelay, pool, onDemand, bitrateHintMbps, publisherKey, pullUrl, meshEnabled, meshMaxPeers,
                owner, standbyIngestRelay, IceSettings.NONE);
    }

    public StreamDefinition {
        if (!Names.isStreamName(name)) {
            throw new IllegalArgumentException("bad stream name: " + name);
        }
        if (k < 1 || m < 0 || k + m > 32) {
            throw new IllegalArgumentException("stream " + name + ": need 1 <= k, 0 <= m, k + m <= 32, got k=" + k + " m=" + m);
        }
        if ((ingestRelay == null) == (pool == null)) {
            throw new IllegalArgumentException("stream " + name + ": set exactly one of an ingest relay and a pool");
        }
        if (!(bitrateHintMbps > 0)) {
            throw new IllegalArgumentException("stream " + name + ": bitrate hint must be > 0");
        }
        if (publisherKey != null && PublisherKeys.problem(publisherKey) != null) {
            throw new IllegalArgumentException("stream " + name + ": " + PublisherKeys.problem(publisherKey));
        }
        if (playbackSigningKey != null && PlaybackTokens.problem(playbackSigningKey) != null) {
            throw new IllegalArgumentException("stream " + name + ": " + PlaybackTokens.problem(playbackSigningKey));
        }
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(ice, "ice");
    }

    /** A stream from {@code stripecast.streams.<name>.*}. */
    public static StreamDefinition fromConfig(String name, ControllerSettings.Stream s) {
        String carriage = s.carriage().toLowerCase();
        if (!carriage.equals("all") && !carriage.equals("on-demand")) {
            throw new IllegalArgumentException("stream " + name + ": carriage must be all or on-demand, got " + s.carriage());
        }
        return new StreamDefinition(name, s.k(), s.m(), s.window(), s.ingestRelay(), null, carriage.equals("on-demand"),
                s.bitrateHintMbps(), s.key().orElse(null), s.pullUrl().orElse(null), false, 0, "config",
                s.standbyIngestRelay().orElse(null), IceSettings.NONE, s.playbackSigningKey().orElse(null));
    }

    /** Keeps the publisher key and the playback signing key out of logs. */
    @Override
    public String toString() {
        return "StreamDefinition[name=" + name + ", k=" + k + ", m=" + m + ", window=" + window + ", ingestRelay=" + ingestRelay
                + ", pool=" + pool + ", onDemand=" + onDemand + ", publisherKey=" + (publisherKey == null ? "none" : "***")
                + ", pullUrl=" + pullUrl + ", meshEnabled=" + meshEnabled + ", owner=" + owner + ", ice=" + ice
                + ", playbackSigningKey=" + (playbackSigningKey == null ? "none" : "***") + "]";
    }

    public int stripes() {
        return k + m;
    }

    /** Same stripes, window and carriers: the running forest still fits, only parameters change. */
    public boolean sameShape(StreamDefinition other) {
        return k == other.k && m == other.m && window.equals(other.window) && Objects.equals(ingestRelay, other.ingestRelay)
                && Objects.equals(pool, other.pool) && onDemand == other.onDemand
                && Objects.equals(standbyIngestRelay, other.standbyIngestRelay);
    }
}

package io.stripecast.lab.sim;

/**
 * One-way link latency, drawn once per pair of endpoints from a hash (no N x N matrix): uniform in the
 * intra-zone range when both ends share a zone, in the inter-zone range otherwise. Endpoints are longs so
 * that two index spaces (the hybrid's leaves and relays) can share it without colliding.
 */
final class Latency {
    /** Added to a relay's index to tell it apart from a leaf with the same index. */
    static final long RELAY = 1L << 40;

    private final long salt;
    private final int intraMin;
    private final int intraSpan;
    private final int interMin;
    private final int interSpan;

    Latency(long seed, SimConfig.Network n) {
        this.salt = Seeds.salt(seed, "latency");
        this.intraMin = n.intraZoneMinMs();
        this.intraSpan = n.intraZoneMaxMs() - n.intraZoneMinMs() + 1;
        this.interMin = n.interZoneMinMs();
        this.interSpan = n.interZoneMaxMs() - n.interZoneMinMs() + 1;
    }

    int between(long a, int zoneA, long b, int zoneB) {
        if (a == b) {
            return 0;
        }
        long lo = Math.min(a, b);
        long hi = Math.max(a, b);
        long h = Seeds.mix(salt ^ Seeds.mix(lo * 0x9E3779B97F4A7C15L + hi));
        return zoneA == zoneB
                ? intraMin + (int) ((h >>> 1) % intraSpan)
                : interMin + (int) ((h >>> 1) % interSpan);
    }

    /** Node to controller: 5-50 ms; the controller sits in the provider's network, close to everyone. */
    int toController(long a) {
        long h = Seeds.mix(salt ^ Seeds.mix(a * 0xD1B54A32D192ED03L + 17));
        return 5 + (int) ((h >>> 1) % 46);
    }
}

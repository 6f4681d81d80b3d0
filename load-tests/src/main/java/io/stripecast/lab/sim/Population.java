package io.stripecast.lab.sim;

/**
 * Who the nodes are: uplink and zone per node index. Index 0 is the source (root). Attributes are a pure
 * function of (seed, index), so the same node has the same uplink whatever the churn rate of the run.
 */
final class Population {
    final float[] uplinkMbps;
    final byte[] zone;
    /** Uplink in bits per simulated millisecond, the unit transmission times are computed in. */
    final double[] bitsPerMs;

    private Population(int size) {
        uplinkMbps = new float[size];
        zone = new byte[size];
        bitsPerMs = new double[size];
    }

    int size() {
        return zone.length;
    }

    /** Viewers: lognormal uplinks (see {@link SimConfig.Network}), zones uniform. */
    static Population peers(SimConfig c, int size) {
        SimConfig.Network n = c.network();
        long salt = Seeds.salt(c.seed(), "peers");
        Population p = new Population(size);
        p.set(0, n.sourceUplinkMbps(), 0);
        for (int v = 1; v < size; v++) {
            long h = Seeds.mix(salt + v);
            double g = Seeds.gaussian(Seeds.mix(h + 1), Seeds.mix(h + 2));
            double up = n.uplinkMedianMbps() * Math.exp(n.uplinkSigma() * g);
            up = Math.max(n.uplinkMinMbps(), Math.min(n.uplinkMaxMbps(), up));
            int z = (int) ((Seeds.mix(h + 3) >>> 1) % n.zones());
            p.set(v, up, z);
        }
        return p;
    }

    /** The hybrid's core: the source, then relays spread evenly over the zones. */
    static Population relays(SimConfig c, int size) {
        Population p = new Population(size);
        p.set(0, c.network().sourceUplinkMbps(), 0);
        for (int v = 1; v < size; v++) {
            p.set(v, c.hybrid().relayUplinkMbps(), (v - 1) % c.network().zones());
        }
        return p;
    }

    private void set(int v, double up, int z) {
        uplinkMbps[v] = (float) up;
        bitsPerMs[v] = uplinkMbps[v] * 1000.0;
        zone[v] = (byte) z;
    }

    /** Milliseconds to push {@code bits} at {@code shareOf} of node v's uplink, rounded up. */
    int txMs(int v, double bits, int sharers) {
        return (int) Math.ceil(bits * Math.max(1, sharers) / bitsPerMs[v]);
    }
}

package io.stripecast.lab.sim;

/**
 * What one overlay run measures at the nodes: for every (node, segment) the node owes, whether and when it
 * had the segment, and the bytes the overlay moved to get it there.
 */
final class Recorder {
    static final int MAX_DEPTH = 32;

    final SimConfig config;
    final Histogram latency;
    final Histogram[] byDepth = new Histogram[MAX_DEPTH + 1];
    /** Per node: owed segments it did not have by its playout deadline (tests look at who lost what). */
    final int[] lateOrLost;
    long due;
    long onTime;
    long lost;

    long dataBytes;
    long controlBytes;
    long duplicateBytes;
    long parityBytes;
    long sourceBytes;
    long edgeBytes;
    long peerBytes;
    long regenerated;
    long partnerReplacements;
    long edgeSwitches;

    Recorder(SimConfig config, int nodes) {
        this.config = config;
        this.latency = new Histogram(config.stream().latencyCapMs());
        this.lateOrLost = new int[nodes];
    }

    /** Node v had the segment {@code ms} after its production, through a tree of {@code depth} (0: unknown). */
    void delivered(int v, int ms, int depth) {
        due++;
        if (ms > config.stream().latencyCapMs()) {
            lost(v);
            due--;
            return;
        }
        latency.add(ms);
        if (ms <= config.stream().playoutDelayMs()) {
            onTime++;
        } else {
            lateOrLost[v]++;
        }
        if (depth > 0) {
            int d = Math.min(depth, MAX_DEPTH);
            if (byDepth[d] == null) {
                byDepth[d] = new Histogram(config.stream().latencyCapMs());
            }
            byDepth[d].add(ms);
        }
    }

    void lost(int v) {
        due++;
        lost++;
        lateOrLost[v]++;
    }

    double continuity() {
        return due == 0 ? 1.0 : (double) onTime / due;
    }

    /** Share of owed segments complete within {@code ms} of production. */
    double continuityWithin(int ms) {
        return due == 0 ? 1.0 : (double) latency.atMost(ms) / due;
    }
}

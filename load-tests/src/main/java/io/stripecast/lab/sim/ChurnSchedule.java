package io.stripecast.lab.sim;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Who joins and who dies, when: drawn before the run, so that every overlay of a (nodes, churn, seed)
 * faces exactly the same deaths and joins. Deaths and joins are two Poisson processes with the same rate
 * ({@code churn% * initial nodes} per minute), so the population stays near its size; a death picks a
 * node uniformly among the living (joiners included). Node 0, the source, never dies. Joiners get the
 * next indexes, in join order.
 */
final class ChurnSchedule {
    static final int NEVER = Integer.MAX_VALUE;

    /** Nodes 0 .. initial-1 exist at time 0. */
    final int initial;
    /** Nodes ever: initial plus joiners. */
    final int total;
    final int[] joinAt;
    final int[] deathAt;
    /** Nodes that die, by time of death. */
    final int[] deaths;

    private ChurnSchedule(int initial, int[] joinAt, int[] deathAt) {
        this.initial = initial;
        this.total = joinAt.length;
        this.joinAt = joinAt;
        this.deathAt = deathAt;
        long[] keyed = new long[total];
        int n = 0;
        for (int v = 0; v < total; v++) {
            if (deathAt[v] != NEVER) {
                keyed[n++] = ((long) deathAt[v] << 32) | v;
            }
        }
        keyed = Arrays.copyOf(keyed, n);
        Arrays.sort(keyed);
        deaths = new int[n];
        for (int i = 0; i < n; i++) {
            deaths[i] = (int) keyed[i];
        }
    }

    static ChurnSchedule generate(long seed, String purpose, int initial, double percentPerMin, int durationMs) {
        SplittableRandom rnd = Seeds.random(seed, "churn-" + purpose);
        IntList joins = new IntList(initial + 16);
        IntList deathTimes = new IntList(initial + 16);
        for (int v = 0; v < initial; v++) {
            joins.add(0);
            deathTimes.add(NEVER);
        }
        double perMs = (initial - 1) * percentPerMin / 100.0 / 60_000.0;
        if (perMs > 0) {
            IntList living = new IntList(initial);
            for (int v = 1; v < initial; v++) {
                living.add(v);
            }
            double nextDeath = exponential(rnd, perMs);
            double nextJoin = exponential(rnd, perMs);
            while (Math.min(nextDeath, nextJoin) < durationMs) {
                if (nextDeath <= nextJoin) {
                    if (living.size > 0) {
                        int i = rnd.nextInt(living.size);
                        deathTimes.data[living.get(i)] = (int) nextDeath;
                        living.swapRemove(i);
                    }
                    nextDeath += exponential(rnd, perMs);
                } else {
                    living.add(joins.size);
                    joins.add((int) nextJoin);
                    deathTimes.add(NEVER);
                    nextJoin += exponential(rnd, perMs);
                }
            }
        }
        return new ChurnSchedule(initial, joins.toArray(), deathTimes.toArray());
    }

    /** No churn except the given deaths ({@code node -> time}), for tests that kill one chosen node. */
    static ChurnSchedule scripted(int initial, int[] nodes, int[] times) {
        int[] joinAt = new int[initial];
        int[] deathAt = new int[initial];
        Arrays.fill(deathAt, NEVER);
        for (int i = 0; i < nodes.length; i++) {
            deathAt[nodes[i]] = times[i];
        }
        return new ChurnSchedule(initial, joinAt, deathAt);
    }

    private static double exponential(SplittableRandom rnd, double perMs) {
        return -Math.log(1.0 - rnd.nextDouble()) / perMs;
    }

    boolean aliveAt(int v, int t) {
        return joinAt[v] <= t && t < deathAt[v];
    }

    /**
     * Whether node v owes the segment produced at {@code p}: it joined at least the join grace before, and it
     * is still alive a latency cap after (so the set of owed pairs does not depend on the playout deadline,
     * and one run gives the continuity of the trees at any deadline).
     */
    boolean due(int v, int p, SimConfig.Stream s) {
        return joinAt[v] + s.joinGraceMs() <= p && deathAt[v] - s.latencyCapMs() > p;
    }

    int deathCount() {
        return deaths.length;
    }

    int joinCount() {
        return total - initial;
    }
}

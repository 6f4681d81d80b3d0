package io.stripecast.relay.mesh;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * The super-peer rule of one swarm: which viewers the tracker hands a new viewer's offers to, and which viewers fetch
 * new segments from the edge first. Pure (no I/O, no clock: callers pass the time and the random source); not
 * thread-safe (the tracker guards it). Bounded: one entry per peer of the swarm, at most {@code maxPeers}.
 *
 * <p>The rule (README "Player page and leaf mesh", docs/mesh.md):
 * <ul>
 *   <li>Each viewer's stats beacon reports what it uploaded to peers, what it got from peers and from the edge, and how
 *   many segments it got from peers and how many such downloads failed (error or refused by hash). The ranking keeps
 *   exponentially weighted averages of these (weight {@link #ALPHA} per beacon).</li>
 *   <li>{@code score = min(uploaded / consumed, 2) / 2 * (ok + 1) / (ok + failed + 1)}: how much it gives back for what
 *   it takes, times its P2P success rate (smoothed: no failures is full success). A viewer with fewer than {@link #PROBATION_BEACONS}
 *   beacons has the neutral score {@link #NEUTRAL}: newcomers get a fair chance.</li>
 *   <li>A new viewer's offers go first to the best-scored half of the slots (highest score first); the other slots are
 *   drawn at random with weight {@code FLOOR + score} ({@link #FLOOR}), so leechers and failing viewers still get
 *   partners, only fewer, and a swarm of equals stays a random mesh.</li>
 *   <li>First fetchers: candidates are the viewers past probation that upload (score above 0), whose success rate is
 *   at least {@link #MIN_SUCCESS}, and who are in the better half of the swarm by score. One per
 *   {@link #PEERS_PER_FIRST_FETCHER} viewers of the swarm (at least one) fetches new segments from the edge as soon as
 *   they are listed, for a term of {@link #FIRST_FETCHER_TERM_MILLIS} ms. A term's first fetchers are fixed the first
 *   time anyone asks about that term (a role holds for the whole term, and the answer about the next term is what will
 *   happen): the best candidates that were not first fetchers in the term before, then, if too few, those. So the
 *   role passes on, no page carries the edge's share alone, and a page that had it gets segments from peers. The others
 *   wait for peers until their deadline. With no candidate, nobody has the role and the pages keep
 *   p2p-media-loader's own random HTTP loading.</li>
 * </ul>
 */
final class PartnerRanking {
    static final double ALPHA = 0.3;
    static final int PROBATION_BEACONS = 2;
    static final double NEUTRAL = 0.5;
    static final double FLOOR = 0.1;
    /** Least P2P success rate of a first fetcher: its peers' downloads from it must mostly work. */
    static final double MIN_SUCCESS = 0.5;
    static final int PEERS_PER_FIRST_FETCHER = 4;
    static final long FIRST_FETCHER_TERM_MILLIS = 15_000;
    /** The upload ratio that earns the full score: a viewer that gives twice what it takes is as good as it gets. */
    static final double FULL_RATIO = 2.0;

    /** One beacon's figures, as deltas since the viewer's previous beacon. */
    record Report(long http, long p2p, long uploaded, long p2pSegments, long p2pFailures) {
        Report {
            if (http < 0 || p2p < 0 || uploaded < 0 || p2pSegments < 0 || p2pFailures < 0) {
                throw new IllegalArgumentException("negative figure in " + this);
            }
        }
    }

    /** What a viewer is asked to do with new segments. */
    enum Role {
        /** Fetch new segments from the edge as soon as they are listed: the swarm's source. */
        FIRST,
        /** Wait for peers until the segment's deadline, then the edge. */
        WAIT,
        /** No rule yet (no good uploader known): the library's own random HTTP loading. */
        FREE
    }

    private static final class Entry {
        final String id;
        int beacons;
        double uploaded;
        double consumed;
        double ok;
        double failed;

        Entry(String id) {
            this.id = id;
        }
    }

    private final int maxPeers;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    /** Term -> its first fetchers, for at most three terms (the one before, this one, the next). */
    private final Map<Long, List<String>> assigned = new java.util.HashMap<>();

    PartnerRanking(int maxPeers) {
        if (maxPeers < 1) {
            throw new IllegalArgumentException("maxPeers must be positive");
        }
        this.maxPeers = maxPeers;
    }

    /** A viewer joined the swarm. Returns false (and keeps nothing) when the ranking is full. */
    boolean join(String id) {
        if (entries.containsKey(id)) {
            return true;
        }
        if (entries.size() >= maxPeers) {
            return false;
        }
        entries.put(id, new Entry(id));
        return true;
    }

    void leave(String id) {
        entries.remove(id);
    }

    int size() {
        return entries.size();
    }

    /** A beacon from a viewer of this swarm; ignored for a viewer that is not in it. */
    void report(String id, Report r) {
        Entry e = entries.get(id);
        if (e == null) {
            return;
        }
        if (e.beacons == 0) {
            e.uploaded = r.uploaded();
            e.consumed = r.http() + r.p2p();
            e.ok = r.p2pSegments();
            e.failed = r.p2pFailures();
        } else {
            e.uploaded = ewma(e.uploaded, r.uploaded());
            e.consumed = ewma(e.consumed, r.http() + r.p2p());
            e.ok = ewma(e.ok, r.p2pSegments());
            e.failed = ewma(e.failed, r.p2pFailures());
        }
        e.beacons = Math.min(e.beacons + 1, 1_000_000);
    }

    private static double ewma(double old, double sample) {
        return (1 - ALPHA) * old + ALPHA * sample;
    }

    /** The viewer's score in [0, 1]; {@link #NEUTRAL} while on probation or unknown. */
    double score(String id) {
        Entry e = entries.get(id);
        return e == null ? NEUTRAL : score(e);
    }

    private static double score(Entry e) {
        if (e.beacons < PROBATION_BEACONS) {
            return NEUTRAL;
        }
        double ratio = e.uploaded / Math.max(e.consumed, 1.0);
        double give = Math.min(ratio, FULL_RATIO) / FULL_RATIO;
        return give * success(e);
    }

    /**
     * Innocent until failing: no failures is full success, whether or not it got anything from peers (a first fetcher
     * gets everything from the edge).
     */
    private static double success(Entry e) {
        return (e.ok + 1) / (e.ok + e.failed + 1);
    }

    /**
     * Up to {@code n} partners for {@code self}'s offers, best first: the best-scored half of the slots by score, the
     * rest drawn by weight {@code FLOOR + score} without replacement.
     */
    List<String> partners(String self, int n, RandomGenerator random) {
        List<Entry> pool = new ArrayList<>(entries.size());
        for (Entry e : entries.values()) {
            if (!e.id.equals(self)) {
                pool.add(e);
            }
        }
        int want = Math.min(n, pool.size());
        List<String> out = new ArrayList<>(want);
        if (want <= 0) {
            return out;
        }
        // Ties in score (a swarm of newcomers, say) are broken at random, not by join order.
        double[] tie = new double[pool.size()];
        for (int i = 0; i < tie.length; i++) {
            tie[i] = random.nextDouble();
        }
        List<Integer> order = new ArrayList<>(pool.size());
        for (int i = 0; i < pool.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.<Integer>comparingDouble(i -> -score(pool.get(i))).thenComparingDouble(i -> tie[i]));
        int best = (want + 1) / 2;
        boolean[] taken = new boolean[pool.size()];
        for (int k = 0; k < best; k++) {
            int i = order.get(k);
            taken[i] = true;
            out.add(pool.get(i).id);
        }
        while (out.size() < want) {
            double total = 0;
            for (int i = 0; i < pool.size(); i++) {
                if (!taken[i]) {
                    total += FLOOR + score(pool.get(i));
                }
            }
            double x = random.nextDouble() * total;
            int pick = -1;
            for (int i = 0; i < pool.size(); i++) {
                if (taken[i]) {
                    continue;
                }
                pick = i;
                x -= FLOOR + score(pool.get(i));
                if (x < 0) {
                    break;
                }
            }
            taken[pick] = true;
            out.add(pool.get(pick).id);
        }
        return out;
    }

    /** When the term running at {@code nowMillis} ends: roles may change then (see {@link #role}). */
    static long termEnd(long nowMillis) {
        return (Math.floorDiv(nowMillis, FIRST_FETCHER_TERM_MILLIS) + 1) * FIRST_FETCHER_TERM_MILLIS;
    }

    /** What {@code id} should do with new segments at {@code nowMillis} (see the class comment). */
    Role role(String id, long nowMillis) {
        if (!entries.containsKey(id)) {
            return Role.FREE;
        }
        List<String> fetchers = firstFetchers(Math.floorDiv(nowMillis, FIRST_FETCHER_TERM_MILLIS));
        if (fetchers.isEmpty()) {
            return Role.FREE;
        }
        return fetchers.contains(id) ? Role.FIRST : Role.WAIT;
    }

    /**
     * The first fetchers of a term, fixed the first time anyone asks (so a role holds for the whole term and the
     * answer about the next term is what will happen): the best-scored candidates that were not first fetchers in the
     * term before, then, if too few, those. Recomputed only when one of them has left, or while there was none.
     */
    private List<String> firstFetchers(long term) {
        List<String> fixed = assigned.get(term);
        if (fixed != null && entries.keySet().containsAll(fixed)) {
            return fixed;
        }
        List<String> candidates = firstFetcherCandidates();
        int count = Math.min(candidates.size(), Math.max(1, entries.size() / PEERS_PER_FIRST_FETCHER));
        List<String> previous = assigned.getOrDefault(term - 1, List.of());
        List<String> chosen = new ArrayList<>(count);
        for (String c : candidates) {
            if (chosen.size() < count && !previous.contains(c)) {
                chosen.add(c);
            }
        }
        for (String c : candidates) {
            if (chosen.size() < count && !chosen.contains(c)) {
                chosen.add(c);
            }
        }
        if (!chosen.isEmpty()) {
            assigned.put(term, List.copyOf(chosen));
            // Only the term before, this one and the next are ever asked about.
            assigned.keySet().removeIf(t -> t < term - 1 || t > term + 1);
        }
        return chosen;
    }

    /** Viewers past probation that upload (score above 0), do not fail, and are in the better half of the swarm; best first. */
    private List<String> firstFetcherCandidates() {
        List<Entry> ranked = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (e.beacons >= PROBATION_BEACONS && score(e) > 0 && success(e) >= MIN_SUCCESS) {
                ranked.add(e);
            }
        }
        ranked.sort(Comparator.comparingDouble((Entry e) -> -score(e)).thenComparing(e -> e.id));
        int half = Math.max(1, (entries.size() + 1) / 2);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < Math.min(half, ranked.size()); i++) {
            out.add(ranked.get(i).id);
        }
        return out;
    }
}

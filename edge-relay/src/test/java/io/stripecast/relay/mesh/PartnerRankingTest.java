package io.stripecast.relay.mesh;

import io.stripecast.relay.mesh.PartnerRanking.Report;
import io.stripecast.relay.mesh.PartnerRanking.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The super-peer rule: who gets a new viewer's offers, and who fetches new segments first. */
class PartnerRankingTest {
    private static final long SEGMENT = 400_000;

    static LongStream seeds() {
        return LongStream.range(1, 41);
    }

    /** A good uploader: gives twice what it takes, no failures. */
    private static final Report GOOD = new Report(SEGMENT / 4, SEGMENT, 2 * SEGMENT, 3, 0);
    /** A leecher: takes everything from peers, gives nothing back. */
    private static final Report LEECH = new Report(SEGMENT / 4, SEGMENT, 0, 3, 0);
    /** Uploads as much as a good one, but most of its downloads from peers fail. */
    private static final Report FAILING = new Report(SEGMENT, SEGMENT / 4, 2 * SEGMENT, 1, 6);

    private static PartnerRanking swarm(Map<String, Report> peers, int beacons) {
        PartnerRanking r = new PartnerRanking(256);
        peers.forEach((id, report) -> {
            r.join(id);
            for (int i = 0; i < beacons; i++) {
                r.report(id, report);
            }
        });
        return r;
    }

    private static Map<String, Report> mixed(SplittableRandom random) {
        Map<String, Report> peers = new HashMap<>();
        int n = 3 + random.nextInt(4);
        for (int i = 0; i < n; i++) {
            peers.put("good-" + i, GOOD);
            peers.put("leech-" + i, LEECH);
            peers.put("fail-" + i, FAILING);
        }
        return peers;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void goodUploadersAreAnnouncedFirstAndMoreOften(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        PartnerRanking ranking = swarm(mixed(random), 3);
        ranking.join("newcomer");
        Map<String, Integer> picks = new HashMap<>();
        for (int draw = 0; draw < 400; draw++) {
            List<String> partners = ranking.partners("newcomer", 4, random);
            assertThat(partners.get(0)).as("seed %d: first partner", seed).startsWith("good-");
            partners.forEach(p -> picks.merge(p.substring(0, p.indexOf('-')), 1, Integer::sum));
        }
        int good = picks.getOrDefault("good", 0);
        int leech = picks.getOrDefault("leech", 0);
        int fail = picks.getOrDefault("fail", 0);
        assertThat(good).as("seed %d: good uploaders picked more than leechers (%s)", seed, picks).isGreaterThan(2 * leech);
        assertThat(good).as("seed %d: good uploaders picked more than failing peers (%s)", seed, picks).isGreaterThan(2 * fail);
        assertThat(leech).as("seed %d: leechers still get partners (%s)", seed, picks).isPositive();
        assertThat(fail).as("seed %d: failing peers still get partners (%s)", seed, picks).isPositive();
    }

    @Test
    void scoreIsUploadRatioTimesSuccessRate() {
        PartnerRanking ranking = swarm(Map.of("good", GOOD, "leech", LEECH, "fail", FAILING), 3);
        // Uploads 2 for 1.25 consumed: ratio 1.6 of the full 2 = 0.8; success (3+1)/(3+0+1) = 1.
        assertThat(ranking.score("good")).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(ranking.score("leech")).isZero();
        // Same upload ratio, success (1+1)/(1+6+1).
        assertThat(ranking.score("fail")).isCloseTo(0.8 * 2 / 8, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(ranking.score("good")).isGreaterThan(ranking.score("fail"));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void newPeersGetAFairChance(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        // Newcomers (one beacon: still on probation) among leechers: they score neutral and are picked more than leechers.
        Map<String, Report> peers = new HashMap<>();
        for (int i = 0; i < 6; i++) {
            peers.put("leech-" + i, LEECH);
        }
        PartnerRanking ranking = swarm(peers, 3);
        for (int i = 0; i < 6; i++) {
            ranking.join("new-" + i);
            ranking.report("new-" + i, LEECH);
            assertThat(ranking.score("new-" + i)).as("seed %d: on probation", seed).isEqualTo(PartnerRanking.NEUTRAL);
        }
        ranking.join("asker");
        int newcomers = 0;
        for (int draw = 0; draw < 300; draw++) {
            for (String p : ranking.partners("asker", 4, random)) {
                newcomers += p.startsWith("new-") ? 1 : 0;
            }
        }
        assertThat(newcomers).as("seed %d: newcomers picked at least as often as everyone else", seed).isGreaterThan(600);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void aSwarmOfEqualsStaysARandomMesh(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        PartnerRanking ranking = new PartnerRanking(64);
        for (int i = 0; i < 10; i++) {
            ranking.join("p" + i);
        }
        Map<String, Integer> picks = new HashMap<>();
        for (int draw = 0; draw < 900; draw++) {
            ranking.partners("p0", 3, random).forEach(p -> picks.merge(p, 1, Integer::sum));
        }
        // 2700 picks over 9 peers: 300 each expected.
        assertThat(picks).as("seed %d", seed).hasSize(9);
        picks.forEach((p, n) -> assertThat(n).as("seed %d: %s picked %d times of ~300", seed, p, n).isBetween(200, 400));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void partnersAreDistinctOthersAndAsManyAsAsked(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        PartnerRanking ranking = new PartnerRanking(32);
        List<String> ids = new ArrayList<>();
        for (int step = 0; step < 300; step++) {
            int op = random.nextInt(10);
            if (op < 4 || ids.isEmpty()) {
                String id = "p" + random.nextInt(60);
                if (ranking.join(id) && !ids.contains(id)) {
                    ids.add(id);
                }
            } else if (op < 5) {
                String id = ids.remove(random.nextInt(ids.size()));
                ranking.leave(id);
            } else if (op < 8) {
                ranking.report(ids.get(random.nextInt(ids.size())), new Report(random.nextLong(1_000_000), random.nextLong(1_000_000),
                        random.nextLong(3_000_000), random.nextLong(5), random.nextLong(5)));
            } else {
                String self = ids.get(random.nextInt(ids.size()));
                int n = random.nextInt(12);
                List<String> partners = ranking.partners(self, n, random);
                assertThat(partners).as("seed %d step %d", seed, step).doesNotContain(self).doesNotHaveDuplicates()
                        .hasSize(Math.min(n, ids.size() - 1));
                assertThat(ids).as("seed %d step %d", seed, step).containsAll(partners);
            }
            assertThat(ranking.size()).as("seed %d step %d: bounded", seed, step).isEqualTo(ids.size()).isLessThanOrEqualTo(32);
        }
    }

    @Test
    void memoryIsBoundedAndFreedOnLeave() {
        PartnerRanking ranking = new PartnerRanking(4);
        for (int i = 0; i < 4; i++) {
            assertThat(ranking.join("p" + i)).isTrue();
        }
        assertThat(ranking.join("p4")).as("full").isFalse();
        ranking.report("stranger", GOOD);
        assertThat(ranking.size()).as("a report for a peer not in the swarm keeps nothing").isEqualTo(4);
        ranking.leave("p0");
        assertThat(ranking.join("p4")).isTrue();
        assertThat(ranking.size()).isEqualTo(4);
        ranking.leave("p0");
        assertThat(ranking.size()).as("leaving twice frees once").isEqualTo(4);
    }

    @Test
    void withNoGoodUploaderNobodyIsFirstAndTheLibraryDecides() {
        PartnerRanking ranking = swarm(Map.of("a", LEECH, "b", LEECH), 3);
        ranking.join("c");
        assertThat(List.of(ranking.role("a", 0), ranking.role("b", 0), ranking.role("c", 0))).containsOnly(Role.FREE);
        assertThat(ranking.role("stranger", 0)).isEqualTo(Role.FREE);
    }

    @Test
    void oneFirstFetcherPerFourPeersRotatingAmongGoodUploaders() {
        Map<String, Report> peers = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            peers.put("good-" + i, GOOD);
        }
        for (int i = 0; i < 5; i++) {
            peers.put("leech-" + i, LEECH);
        }
        PartnerRanking ranking = swarm(peers, 3);
        HashSet<String> everFirst = new HashSet<>();
        for (int term = 0; term < 6; term++) {
            long now = term * PartnerRanking.FIRST_FETCHER_TERM_MILLIS + 5;
            List<String> first = new ArrayList<>();
            for (String id : peers.keySet()) {
                Role role = ranking.role(id, now);
                if (role == Role.FIRST) {
                    first.add(id);
                } else {
                    assertThat(role).isEqualTo(Role.WAIT);
                }
            }
            assertThat(first).as("term %d: 8 peers, two first fetchers, both good uploaders", term).hasSize(2).allMatch(id -> id.startsWith("good-"));
            everFirst.addAll(first);
        }
        assertThat(everFirst).as("the role rotates over every good uploader").hasSize(3);
    }

    @Test
    void aFirstFetcherThatGotEverythingFromTheEdgeKeepsFullSuccess() {
        PartnerRanking ranking = swarm(Map.of("seeder", new Report(SEGMENT, 0, 3 * SEGMENT, 0, 0)), 3);
        assertThat(ranking.score("seeder")).isEqualTo(1.0);
    }

    @Test
    void leechersAndFailingPeersAreNeverFirstFetchers() {
        PartnerRanking ranking = swarm(Map.of("good", GOOD, "leech-1", LEECH, "leech-2", LEECH, "fail", FAILING), 3);
        for (long now = 0; now < 10 * PartnerRanking.FIRST_FETCHER_TERM_MILLIS; now += 1000) {
            assertThat(ranking.role("good", now)).isEqualTo(Role.FIRST);
            for (String other : List.of("leech-1", "leech-2", "fail")) {
                assertThat(ranking.role(other, now)).as(other).isEqualTo(Role.WAIT);
            }
        }
    }

    @Test
    void onlyTheBetterHalfOfTheSwarmIsEverFirstFetcher() {
        Map<String, Report> peers = new HashMap<>();
        peers.put("a", new Report(0, SEGMENT, 3 * SEGMENT, 1, 0));
        peers.put("b", new Report(0, SEGMENT, 2 * SEGMENT, 1, 0));
        peers.put("c", new Report(0, SEGMENT, SEGMENT, 1, 0));
        peers.put("d", new Report(0, SEGMENT, SEGMENT / 2 + 1, 1, 0));
        PartnerRanking ranking = swarm(peers, 3);
        HashSet<String> everFirst = new HashSet<>();
        for (long now = 0; now < 10 * PartnerRanking.FIRST_FETCHER_TERM_MILLIS; now += 1000) {
            for (String id : peers.keySet()) {
                if (ranking.role(id, now) == Role.FIRST) {
                    everFirst.add(id);
                }
            }
        }
        assertThat(everFirst).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void aTermsFirstFetcherHoldsForTheWholeTermWhateverScoresDo() {
        PartnerRanking ranking = swarm(Map.of("a", GOOD, "b", new Report(0, SEGMENT, SEGMENT, 1, 0), "c", LEECH, "d", LEECH), 3);
        long term = PartnerRanking.FIRST_FETCHER_TERM_MILLIS;
        assertThat(ranking.role("a", 10)).isEqualTo(Role.FIRST);
        // The next term, asked about now, goes to the other candidate; scores swing, the answers stay.
        assertThat(ranking.role("b", term + 10)).isEqualTo(Role.FIRST);
        for (int i = 0; i < 20; i++) {
            ranking.report("a", LEECH);
            ranking.report("b", GOOD);
            ranking.report("c", GOOD);
        }
        assertThat(ranking.role("a", term - 1)).isEqualTo(Role.FIRST);
        assertThat(ranking.role("b", term - 1)).isEqualTo(Role.WAIT);
        assertThat(ranking.role("b", term)).isEqualTo(Role.FIRST);
        assertThat(ranking.role("c", 2 * term - 1)).isEqualTo(Role.WAIT);
        // A first fetcher that leaves is replaced at once.
        ranking.leave("b");
        assertThat(ranking.role("c", term + 5)).isEqualTo(Role.FIRST);
    }

    @Test
    void aNewcomerIsNeverFirstFetcherOnProbation() {
        PartnerRanking ranking = swarm(Map.of("good", GOOD), 3);
        ranking.join("new");
        ranking.report("new", GOOD);
        for (long now = 0; now < 10 * PartnerRanking.FIRST_FETCHER_TERM_MILLIS; now += 1000) {
            assertThat(ranking.role("new", now)).isEqualTo(Role.WAIT);
            assertThat(ranking.role("good", now)).isEqualTo(Role.FIRST);
        }
    }
}

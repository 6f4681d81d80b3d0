package io.stripecast.lab.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class WorldTest {

    @Test
    void latencyIsSymmetricAndWithinItsZoneRanges() {
        long seed = 61;
        SimConfig.Network n = SimConfig.Network.defaults();
        Latency lat = new Latency(seed, n);
        for (int a = 0; a < 300; a++) {
            for (int b = a + 1; b < 300; b += 7) {
                int za = a % 8;
                int zb = b % 8;
                int l = lat.between(a, za, b, zb);
                assertThat(lat.between(b, zb, a, za)).as("seed %d: %d-%d", seed, a, b).isEqualTo(l);
                if (za == zb) {
                    assertThat(l).as("seed %d: same zone", seed).isBetween(n.intraZoneMinMs(), n.intraZoneMaxMs());
                } else {
                    assertThat(l).as("seed %d: across zones", seed).isBetween(n.interZoneMinMs(), n.interZoneMaxMs());
                }
            }
        }
    }

    @Test
    void churnKillsAndAddsAboutTheRateAndNeverTheSource() {
        long seed = 62;
        int nodes = 10_001;
        ChurnSchedule s = ChurnSchedule.generate(seed, "peers", nodes, 5, 120_000);
        double expected = (nodes - 1) * 0.05 * 2; // 5 %/min for 2 minutes
        assertThat((double) s.deathCount()).as("seed %d: deaths", seed).isBetween(expected * 0.9, expected * 1.1);
        assertThat((double) s.joinCount()).as("seed %d: joins", seed).isBetween(expected * 0.9, expected * 1.1);
        assertThat(s.deathAt[0]).as("seed %d: the source", seed).isEqualTo(ChurnSchedule.NEVER);
        for (int v = 1; v < s.total; v++) {
            assertThat(s.deathAt[v]).as("seed %d: node %d dies after it joins", seed, v).isGreaterThanOrEqualTo(s.joinAt[v]);
        }
        for (int i = 1; i < s.deaths.length; i++) {
            assertThat(s.deathAt[s.deaths[i]]).isGreaterThanOrEqualTo(s.deathAt[s.deaths[i - 1]]);
        }
    }

    @Test
    void uplinksFollowTheLognormalMedianAndTheSameNodeKeepsItsUplink() {
        SimConfig c = SimConfig.defaults(20_000, 60, 0, 63);
        Population p = Population.peers(c, 20_001);
        float[] sorted = java.util.Arrays.copyOfRange(p.uplinkMbps, 1, p.size());
        java.util.Arrays.sort(sorted);
        assertThat((double) sorted[sorted.length / 2]).as("seed 63: median uplink").isBetween(4.7, 5.3);
        assertThat(Population.peers(c, 500).uplinkMbps[321]).isEqualTo(p.uplinkMbps[321]);
    }
}

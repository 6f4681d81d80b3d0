package io.stripecast.lab.hop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stripecast.relay.topology.ParentRef;
import io.stripecast.relay.topology.StaticTopology;
import io.stripecast.relay.topology.StreamAssignment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The benchmark's wiring, read by the relay's own topology parser: the relay under test takes every stripe from
 * the parent (all but stripe 1 when a data stripe is missing) and is the only relay serving stripe 0 to the two
 * children, who take every other stripe from the parent. And the /proc reader counts utime + stime even when a
 * process's name holds spaces and parentheses.
 */
class HopBenchSetupTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} stripes, data stripe missing: {1}")
    @CsvSource({"3, false", "3, true", "5, false", "5, true"})
    void relayUnderTestFeedsStripeZeroToBothChildrenAndMissesOnlyStripeOne(int stripes, boolean missing) throws Exception {
        Map<String, int[]> ports = new LinkedHashMap<>();
        int port = 20000;
        for (String id : new String[]{"parent", "relay", "child1", "child2"}) {
            ports.put(id, new int[]{port++, port++});
        }
        Path file = dir.resolve("topology.json");
        Files.writeString(file, HopBench.topologyJson(ports, stripes, missing));

        StreamAssignment relay = assignment(file, "relay");
        for (int s = 0; s < stripes; s++) {
            ParentRef p = relay.parent(s);
            if (missing && s == 1) {
                assertThat(p).as("stripe %d of %d, missing=%s", s, stripes, missing).isNull();
            } else {
                assertThat(p.relayId()).as("stripe %d of %d, missing=%s", s, stripes, missing).isEqualTo("parent");
            }
        }
        for (String child : new String[]{"child1", "child2"}) {
            StreamAssignment c = assignment(file, child);
            assertThat(c.parent(0).relayId()).as("%s stripe 0", child).isEqualTo("relay");
            for (int s = 1; s < stripes; s++) {
                assertThat(c.parent(s).relayId()).as("%s stripe %d", child, s).isEqualTo("parent");
            }
            assertThat(StaticTopology.read(file, "relay").mayServe("live", 0, child)).isTrue();
            assertThat(StaticTopology.read(file, "relay").mayServe("live", 1, child)).isFalse();
        }
        assertThat(assignment(file, "parent").root()).isTrue();
    }

    private static StreamAssignment assignment(Path file, String id) throws Exception {
        AtomicReference<Map<String, StreamAssignment>> got = new AtomicReference<>();
        StaticTopology.read(file, id).start(got::set);
        return got.get().get("live");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "1234 (java) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 37 0 0 20 0 40 0 100 1000 200|287",
        "99 (a b) c)) R 1 99 99 0 -1 0 0 0 0 0 7 5 0 0 20 0 1 0 1 1 1|12"})
    void procStatTicksAreUtimePlusStimeWhateverTheProcessName(String stat, long ticks) {
        assertThat(ProcCpu.ticksOf(stat)).isEqualTo(ticks);
    }

    @Test
    void filesAndMissingAreOnOffOrBothAndNothingElse() {
        HopBench.Options chosen = HopBench.Options.parse(new String[]{"files=both", "missing=no"});
        assertThat(chosen.files()).containsExactly(true, false);
        assertThat(chosen.missing()).containsExactly(false);
        HopBench.Options defaults = HopBench.Options.parse(new String[0]);
        assertThat(defaults.files()).containsExactly(true);
        assertThat(defaults.missing()).containsExactlyInAnyOrder(true, false);
        assertThat(defaults.relayJvm()).isEmpty();
        assertThat(HopBench.Options.parse(new String[]{"relay-jvm=-XX:+PreserveFramePointer,-Xss1m"}).relayJvm())
                .containsExactly("-XX:+PreserveFramePointer", "-Xss1m");
        assertThatThrownBy(() -> HopBench.Options.parse(new String[]{"files=maybe"})).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aHopMeasuredBeforeAndAfterTheViewersIsOneWindowOfBoth() {
        HopBench.Window before = new HopBench.Window(30, 3.0, 0.1, 0.2, 300_000_000L, 0, 1.0, 300_000_000L);
        HopBench.Window after = new HopBench.Window(30, 1.0, 0.0, 0.1, 300_000_000L, 0, 2.0, 310_000_000L);
        HopBench.Window both = before.plus(after);
        assertThat(both.seconds()).isEqualTo(60.0);
        assertThat(both.cpuSeconds()).isEqualTo(4.0);
        assertThat(both.copierSeconds()).isCloseTo(0.3, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(both.streamBytes()).isEqualTo(600_000_000L);
        assertThat(both.sourceBytes()).isEqualTo(610_000_000L);
        assertThat(both.load()).isEqualTo(2.0);
        assertThat(both.cpuSeconds() / both.streamGb()).isCloseTo(4.0 / 0.6, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void theJitsThreadsAreLeftOutOfBothWindowsAlike() {
        // The hop: 3 s of CPU in 30 s, 0.3 of it the JIT's; the viewers' window: 5 s, 0.5 of it the JIT's, 1 GB to viewers.
        HopBench.Window hop = new HopBench.Window(30, 3.0, 0.3, 0.0, 300_000_000L, 0, 1.0, 300_000_000L);
        HopBench.Window serve = new HopBench.Window(30, 5.0, 0.5, 0.4, 300_000_000L, 1_000_000_000L, 1.0, 300_000_000L);
        HopBench.Row row = new HopBench.Row("stripecast relay", "2+1", false, 80, 1000, hop, serve, "");
        org.assertj.core.data.Offset<Double> exact = org.assertj.core.data.Offset.offset(1e-9);
        assertThat(row.hopCpuPerGb()).isCloseTo(10.0, exact);
        assertThat(row.hopCpuPerGbWithoutJit()).isCloseTo(9.0, exact);
        assertThat(row.serveCpuPerGb()).isCloseTo(2.0, exact);
        assertThat(row.serveCpuPerGbWithoutJit()).isCloseTo(1.8, exact);
        assertThat(row.copierCpuPerGb()).isCloseTo(0.4, exact);
        assertThat(row.servingWindowCpuPerSecond()).isCloseTo(5.0 / 30, exact);
    }
}

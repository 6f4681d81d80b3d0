package io.stripecast.lab.e2e;

import io.stripecast.lab.scenario.MemoryBudgetRun;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lab's {@code memory-4x8} scenario cut to 60 s (the 5-minute run is recorded in LAB.md): one relay with a
 * 256 MB heap, 4 streams at 8 Mbit/s. The windows' budget must have been needed (evictions), never exceeded by
 * more than a few shards in flight, and no OutOfMemoryError; every listed segment served byte-identical.
 */
class MemoryBudgetIT {
    @Test
    void oneSmallHeapCarriesFourStreamsAt8MbitWithoutRunningOutOfMemory() throws Exception {
        MemoryBudgetRun.Config config = MemoryBudgetRun.Config.load(Path.of("scenarios", "memory-4x8.properties"),
                Map.of("seconds", "60", "check-every-seconds", "20", "name", "memory-4x8-60s"));
        assertThat(config.heapMb()).isEqualTo(256);
        assertThat(config.streams()).isEqualTo(4);
        MemoryBudgetRun.Result r = new MemoryBudgetRun(config).run(Path.of("target", "lab", config.name()));

        assertThat(r.outOfMemory()).as("OutOfMemoryError in the relay's log:\n%s", r.relayLogTail()).isFalse();
        assertThat(r.relayAlive()).isTrue();
        assertThat(r.failures()).as("failures").isEmpty();
        assertThat(r.passed()).isTrue();
        MemoryBudgetRun.Sample last = r.samples().get(r.samples().size() - 1);
        assertThat(last.budget()).as("default budget: half the heap").isBetween(100.0 * (1 << 20), 130.0 * (1 << 20));
        assertThat(last.evictions()).as("the windows needed more than the budget: it evicted").isPositive();
        assertThat(last.refused()).isZero();
        for (MemoryBudgetRun.Sample s : r.samples()) {
            // Soft by the shards being offered at that moment; one segment's worth is plenty of slack here.
            assertThat(s.windowBytes()).as("window bytes at %d s", s.atSeconds()).isLessThanOrEqualTo(s.budget() + 2.5 * config.segmentBytes());
        }
    }
}

package io.stripecast.lab.scenario.fault;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

class ChurnScheduleTest {
    private static final List<String> RELAYS = List.of("r1", "r2", "r3", "r4", "r5", "r6", "r7");

    @Test
    void percentPerMinuteSetsHowManyLeaveSpreadEvenlyOverTheWindow() {
        // 7 relays x 40 % per minute x 1.5 minutes = 4.2 -> 4 steps, every 22.5 s, the first half a gap in.
        List<ChurnSchedule.Step> steps = ChurnSchedule.plan(RELAYS, 90_000, 40, "mixed", 1, 15_000);
        assertThat(steps).hasSize(4);
        assertThat(steps).extracting(ChurnSchedule.Step::atMillis).containsExactly(11_250L, 33_750L, 56_250L, 78_750L);
        assertThat(steps).extracting(ChurnSchedule.Step::how)
                .containsExactly(ChurnSchedule.Leave.KILL, ChurnSchedule.Leave.TERM, ChurnSchedule.Leave.KILL, ChurnSchedule.Leave.TERM);
        assertThat(steps).extracting(ChurnSchedule.Step::joining).containsExactly("j1", "j2", "j3", "j4");
    }

    @Test
    void noChurnWithoutARateOrAWindow() {
        assertThat(ChurnSchedule.plan(RELAYS, 60_000, 0, "kill", 1, 0)).isEmpty();
        assertThat(ChurnSchedule.plan(RELAYS, 0, 50, "kill", 1, 0)).isEmpty();
        assertThat(ChurnSchedule.plan(List.of(), 60_000, 50, "kill", 1, 0)).isEmpty();
        assertThat(ChurnSchedule.plan(RELAYS, 60_000, 1, "term", 1, 0)).hasSize(1)
                .allMatch(s -> s.how() == ChurnSchedule.Leave.TERM);
    }

    @Test
    void theSameSeedGivesTheSameSchedule() {
        assertThat(ChurnSchedule.plan(RELAYS, 300_000, 60, "mixed", 42, 15_000))
                .isEqualTo(ChurnSchedule.plan(RELAYS, 300_000, 60, "mixed", 42, 15_000));
    }

    static LongStream seeds() {
        return LongStream.range(0, 200);
    }

    /** Whoever leaves is present then and old enough when anyone is; joiners are new names; the count never changes. */
    @ParameterizedTest
    @MethodSource("seeds")
    void everyLeaverIsPresentAndOldEnough(long seed) {
        long window = 60_000 + seed * 1_000;
        double percent = 10 + seed % 90;
        long minAge = 15_000;
        List<ChurnSchedule.Step> steps = ChurnSchedule.plan(RELAYS, window, percent, "mixed", seed, minAge);
        Map<String, Long> present = new LinkedHashMap<>();
        RELAYS.forEach(r -> present.put(r, Long.MIN_VALUE / 2));
        Set<String> everSeen = new HashSet<>(RELAYS);
        long last = -1;
        for (ChurnSchedule.Step s : steps) {
            assertThat(s.atMillis()).as("seed %d: in order, inside the window", seed).isGreaterThan(last).isLessThan(window);
            last = s.atMillis();
            assertThat(present).as("seed %d: %s leaves while present", seed, s.leaving()).containsKey(s.leaving());
            boolean anyOldEnough = present.values().stream().anyMatch(up -> s.atMillis() - up >= minAge);
            if (anyOldEnough) {
                assertThat(s.atMillis() - present.get(s.leaving())).as("seed %d: %s old enough", seed, s.leaving())
                        .isGreaterThanOrEqualTo(minAge);
            }
            assertThat(everSeen.add(s.joining())).as("seed %d: %s is a new name", seed, s.joining()).isTrue();
            present.remove(s.leaving());
            present.put(s.joining(), s.atMillis());
            assertThat(present).as("seed %d", seed).hasSize(RELAYS.size());
        }
    }
}

package io.stripecast.lab.scenario.fault;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Who leaves and who joins when, for a churn run: {@code percentPerMinute} of the non-ingest relays leave
 * per minute, evenly spread over the churn window, each replaced at once by a new relay. The victim is
 * drawn (seeded) among the relays present then that have been up at least {@code minAgeMillis}, so a
 * relay still starting is not "churned" before it served; new relays may leave later like any other.
 * Pure: the same arguments give the same schedule.
 */
public final class ChurnSchedule {
    public enum Leave { KILL, TERM }

    /** At {@code atMillis} after the window opens, {@code leaving} goes ({@code how}) and {@code joining} starts. */
    public record Step(long atMillis, String leaving, Leave how, String joining) {
    }

    private ChurnSchedule() {
    }

    /**
     * @param initial      the non-ingest relays at the start
     * @param windowMillis how long relays come and go
     * @param mode         kill | term | mixed (alternating, starting with kill)
     */
    public static List<Step> plan(List<String> initial, long windowMillis, double percentPerMinute, String mode, long seed,
                                  long minAgeMillis) {
        if (initial.isEmpty() || windowMillis <= 0 || percentPerMinute <= 0) {
            return List.of();
        }
        int count = Math.max(1, (int) Math.round(initial.size() * percentPerMinute / 100.0 * windowMillis / 60_000.0));
        Random random = new Random(seed);
        // Present relays and the moment each came up (the initial ones long before the window).
        Map<String, Long> upSince = new LinkedHashMap<>();
        initial.forEach(id -> upSince.put(id, Long.MIN_VALUE / 2));
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long at = (long) ((i + 0.5) * windowMillis / count);
            List<String> eligible = upSince.entrySet().stream().filter(e -> at - e.getValue() >= minAgeMillis)
                    .map(Map.Entry::getKey).sorted().toList();
            String leaving = eligible.isEmpty()
                    ? upSince.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow().getKey()
                    : eligible.get(random.nextInt(eligible.size()));
            Leave how = switch (mode) {
                case "kill" -> Leave.KILL;
                case "term" -> Leave.TERM;
                case "mixed" -> i % 2 == 0 ? Leave.KILL : Leave.TERM;
                default -> throw new IllegalArgumentException("churn mode kill | term | mixed, got " + mode);
            };
            String joining = "j" + (i + 1);
            upSince.remove(leaving);
            upSince.put(joining, at);
            steps.add(new Step(at, leaving, how, joining));
        }
        return steps;
    }
}

package io.stripecast.lab.cluster;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The emulator's counters per endpoint, from its {@code stats} answer: one line
 * {@code stat <endpoint> key=value ...} each. Keys: {@code rx}/{@code tx} (packets read from / written to the
 * endpoint's TUN), {@code up_in}, {@code up_lost}, {@code up_queue_drops} and the same for {@code down}
 * (packets entering the endpoint's uplink and downlink, lost at random, dropped at the link's limit),
 * {@code cut_drops} (packets to or from the endpoint dropped while it was cut), {@code unroutable} (not IPv4, or to no endpoint's address), {@code write_errors}.
 */
public record LinkEmulatorStats(Map<String, Map<String, Long>> byEndpoint) {
    public LinkEmulatorStats {
        byEndpoint = Map.copyOf(byEndpoint);
    }

    public static LinkEmulatorStats parse(List<String> lines) {
        Map<String, Map<String, Long>> all = new LinkedHashMap<>();
        for (String line : lines) {
            String[] parts = line.strip().split("\\s+");
            if (parts.length < 2 || !parts[0].equals("stat")) {
                throw new IllegalArgumentException("not a stat line: " + line);
            }
            Map<String, Long> counters = new LinkedHashMap<>();
            for (int i = 2; i < parts.length; i++) {
                int eq = parts[i].indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("not key=value: " + parts[i] + " in " + line);
                }
                counters.put(parts[i].substring(0, eq), Long.parseLong(parts[i].substring(eq + 1)));
            }
            all.put(parts[1], counters);
        }
        return new LinkEmulatorStats(all);
    }

    public long get(String endpoint, String key) {
        return byEndpoint.getOrDefault(endpoint, Map.of()).getOrDefault(key, 0L);
    }

    /** A counter summed over every endpoint but {@code except} (null: all). */
    public long sum(String key, String except) {
        return byEndpoint.entrySet().stream().filter(e -> !e.getKey().equals(except))
                .mapToLong(e -> e.getValue().getOrDefault(key, 0L)).sum();
    }

    /** Packets that entered links of the endpoints other than {@code except}, and how many of them were lost at random. */
    public double lossRate(String except) {
        long in = sum("up_in", except) + sum("down_in", except);
        return in == 0 ? 0 : (double) (sum("up_lost", except) + sum("down_lost", except)) / in;
    }

    /** One line for the report: forwarded, lost at random (and the rate on the relays' links), queue, cut and unroutable drops. */
    public String summary(String hostEndpoint) {
        long in = sum("up_in", hostEndpoint) + sum("down_in", hostEndpoint);
        String cut = byEndpoint.entrySet().stream().filter(e -> e.getValue().getOrDefault("cut_drops", 0L) > 0)
                .map(e -> e.getKey() + " " + e.getValue().get("cut_drops")).collect(Collectors.joining(", "));
        return String.format(Locale.ROOT,
                "userspace link emulator: %d packets forwarded; dropped %d at random (%.3f %% of the %d packets that entered a relay's"
                        + " uplink or downlink), %d at a link's queue limit, %d while cut%s, %d unroutable",
                sum("tx", null), sum("up_lost", null) + sum("down_lost", null), 100 * lossRate(hostEndpoint), in,
                sum("up_queue_drops", null) + sum("down_queue_drops", null), sum("cut_drops", null),
                cut.isEmpty() ? "" : " (" + cut + ")", sum("unroutable", null));
    }
}

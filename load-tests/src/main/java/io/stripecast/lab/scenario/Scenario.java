package io.stripecast.lab.scenario;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * A lab scenario, read from a {@code .properties} file under {@code load-tests/scenarios/}.
 *
 * @param fault        none | kill-interior (SIGKILL one interior relay) | drain-interior (SIGTERM one) |
 *                     controller-failover (SIGKILL the controller, start a new one)
 * @param faultAtSegment the fault is applied once the ingest has committed this many segments
 * @param viewersPerRelay HLS players per non-ingest relay
 * @param viewersAtSegment viewers start once the ingest has this many segments (0: at once); a
 *                        flash crowd is many viewers per relay starting together
 * @param baseline        none | nginx: afterwards, the same source and as many viewers through a
 *                        stock nginx origin -> shield -> edge proxy_cache chain, side by side
 */
public record Scenario(String name, int relays, int k, int m, int seconds, double uplinkMbps, String fault, int faultAtSegment,
                       int viewersPerRelay, int viewersAtSegment, String baseline) {

    public Scenario {
        if (relays < 2 || k < 1 || m < 0 || k + m > 32 || seconds < 5 || uplinkMbps <= 0 || viewersPerRelay < 0) {
            throw new IllegalArgumentException("scenario " + name + ": out-of-range setting");
        }
        if (!java.util.Set.of("none", "kill-interior", "drain-interior", "controller-failover").contains(fault)) {
            throw new IllegalArgumentException("scenario " + name + ": unknown fault " + fault);
        }
    }

    public static Scenario load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        String fallbackName = file.getFileName().toString().replaceFirst("\\.properties$", "");
        return new Scenario(p.getProperty("name", fallbackName),
                Integer.parseInt(p.getProperty("relays", "8")),
                Integer.parseInt(p.getProperty("k", "3")),
                Integer.parseInt(p.getProperty("m", "1")),
                Integer.parseInt(p.getProperty("seconds", "30")),
                Double.parseDouble(p.getProperty("uplink-mbps", "20")),
                p.getProperty("fault", "none"),
                Integer.parseInt(p.getProperty("fault-at-segment", "10")),
                Integer.parseInt(p.getProperty("viewers-per-relay", "1")),
                Integer.parseInt(p.getProperty("viewers-at-segment", "0")),
                p.getProperty("baseline", "none"));
    }
}

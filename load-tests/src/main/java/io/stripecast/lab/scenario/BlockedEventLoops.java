package io.stripecast.lab.scenario;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Counts Vert.x's blocked-thread warnings in the cluster's logs. A blocked event loop delays every request and
 * shard that loop carries, so a run that had any says so in its notes rather than hiding it in its latency figures.
 */
final class BlockedEventLoops {
    static final String WARNING = "BlockedThreadChecker";

    private BlockedEventLoops() {
    }

    /** Per log file name (the process), how many warnings; only files that have some. */
    static Map<String, Long> count(Path logs) {
        Map<String, Long> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(logs)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".log")).toList()) {
                try (Stream<String> lines = Files.lines(f, StandardCharsets.ISO_8859_1)) {
                    long n = lines.filter(l -> l.contains(WARNING)).count();
                    if (n > 0) {
                        out.put(f.getFileName().toString().replaceFirst("\\.log$", ""), n);
                    }
                }
            }
        } catch (IOException e) {
            out.put("logs unreadable: " + e.getMessage(), 0L);
        }
        return out;
    }
}

package io.stripecast.lab.hop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU time of a process and its descendants from {@code /proc/<pid>/stat}: utime + stime, in clock ticks
 * (USER_HZ, 100 a second on Linux), so one reading is exact to 10 ms. Descendants matter for nginx (the
 * master forks its worker); a relay is one process. Read directly rather than through
 * {@code ProcessHandle.Info.totalCpuDuration} so the figure is exactly what the kernel accounts.
 */
final class ProcCpu {
    /** USER_HZ: fixed at 100 by the kernel ABI on x86 and arm64. */
    static final double TICKS_PER_SECOND = 100.0;

    private ProcCpu() {
    }

    /** utime + stime of {@code pid} and every live descendant, seconds. */
    static double seconds(long pid) {
        long ticks = ticks(pid);
        List<Long> stack = new ArrayList<>(children(pid));
        while (!stack.isEmpty()) {
            long child = stack.remove(stack.size() - 1);
            ticks += ticks(child);
            stack.addAll(children(child));
        }
        return ticks / TICKS_PER_SECOND;
    }

    static long ticks(long pid) {
        try {
            return ticksOf(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
        } catch (IOException | RuntimeException e) {
            return 0; // gone
        }
    }

    /** utime + stime of one {@code stat} line, in ticks. */
    static long ticksOf(String stat) {
        // Field 2 (comm) is in parentheses and may contain spaces and ')': count fields after the last ')'.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        // After comm: f[0] = state (field 3), so utime (field 14) is f[11], stime (field 15) f[12].
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static List<Long> children(long pid) {
        List<Long> out = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                Path file = task.resolve("children");
                if (Files.exists(file)) {
                    for (String s : Files.readString(file).trim().split("\\s+")) {
                        if (!s.isEmpty()) {
                            out.add(Long.parseLong(s));
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return out;
    }

    /** utime + stime of the JIT compiler threads of a JVM ({@code C1/C2 CompilerThre...}), seconds: ~0 once it settled. */
    static double compilerSeconds(long pid) {
        return threadSeconds(pid, comm -> comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler"));
    }

    /** utime + stime of a relay's segment-copy writer thread ({@code segment-copies}), seconds; 0 without one. */
    static double copierSeconds(long pid) {
        return threadSeconds(pid, comm -> comm.equals("segment-copies"));
    }

    /** utime + stime of the threads of {@code pid} whose name ({@code comm}) matches, seconds. */
    private static double threadSeconds(long pid, java.util.function.Predicate<String> named) {
        long ticks = 0;
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    if (named.test(Files.readString(task.resolve("comm")).trim())) {
                        ticks += ticksOf(Files.readString(task.resolve("stat")));
                    }
                } catch (IOException | RuntimeException e) {
                    // thread gone
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return ticks / TICKS_PER_SECOND;
    }

    /** The 1-minute load average, as {@code /proc/loadavg} gives it. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}

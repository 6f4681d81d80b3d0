package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

import java.util.Locale;

/**
 * The relay container's JVM options, sized from its memory limit. The image's default (a 75 % heap) does not fit a
 * relay: gRPC's Netty takes direct buffers up to the heap's size unless capped, so heap + direct + metaspace + code
 * cache could reach 1.5x the limit and the kernel would kill a busy relay. Here the direct memory is capped at a
 * share of the limit, metaspace and code cache are bounded, and the heap gets what remains after a reserve for
 * thread stacks, the collector's own structures and the relay's segment copies (a memory-backed directory). The relay's window budget is derived from its heap, so it shrinks
 * with it and never outgrows the pod.
 */
final class RelayJvmOptions {
    static final long MI = 1024 * 1024;
    static final long METASPACE = 96 * MI;
    static final long CODE_CACHE = 48 * MI;
    /** Thread stacks (512 KiB each), GC structures, Netty's and the JDK's native bits. */
    static final long RESERVE = 104 * MI;
    static final double MAX_HEAP_SHARE = 0.60;
    static final double MIN_HEAP_SHARE = 0.25;
    static final long SEGMENT_FILES_FROM = 1024 * MI;
    /** A relay without a memory limit: what its segment copies may take. */
    static final long SEGMENT_FILES_WITHOUT_LIMIT = 256 * MI;

    private RelayJvmOptions() {
    }

    /** JAVA_OPTS for a relay whose container has these resources (no memory limit: the image's default applies). */
    static String forResources(ResourceRequirements resources) {
        Long limit = memoryLimit(resources);
        return limit == null ? null : forLimit(limit);
    }

    /** What the segment copies of a relay with these resources may take; 0: none. */
    static long segmentFilesBytes(ResourceRequirements resources) {
        Long limit = memoryLimit(resources);
        return limit == null ? SEGMENT_FILES_WITHOUT_LIMIT : segmentFilesBytes(limit);
    }

    private static Long memoryLimit(ResourceRequirements resources) {
        Quantity limit = resources == null || resources.getLimits() == null ? null : resources.getLimits().get("memory");
        return limit == null ? null : Quantity.getAmountInBytes(limit).longValue();
    }

    /**
     * {@code -XX:-UsePerfData}: the JVM otherwise samples its perf counters every 50 ms for jstat, which was a third of
     * an idle relay's CPU (0.62 of 1.8 ms/s measured); jcmd still attaches without it. {@code AsyncDeflationInterval}
     * (a diagnostic flag, present in JDK 17 and 25): the JDK's monitor deflation thread wakes every 250 ms to see whether
     * inflated monitors need freeing, 0.18-0.22 ms/s of an idle relay; every 5 s costs 0.03, and a relay inflates few
     * monitors (the check at 90 % of the monitor list still runs, only later).
     */
    static String forLimit(long limitBytes) {
        long direct = directBytes(limitBytes);
        return String.format(Locale.ROOT, "-XX:MaxRAMPercentage=%.1f -XX:MaxDirectMemorySize=%dm -XX:MaxMetaspaceSize=%dm "
                        + "-XX:ReservedCodeCacheSize=%dm -Xss512k -XX:-UsePerfData -XX:+UnlockDiagnosticVMOptions -XX:AsyncDeflationInterval=5000", heapShare(limitBytes) * 100, direct / MI, METASPACE / MI,
                CODE_CACHE / MI);
    }

    /** A sixth of the limit, at least 48 MiB: gRPC shards in flight to children and from parents. */
    static long directBytes(long limitBytes) {
        return Math.max(48 * MI, limitBytes / 6 / MI * MI);
    }

    /**
     * What a relay's segment copies may take (its {@code stripecast.playback.segment-files-dir}, an emptyDir of medium
     * Memory, whose pages count against the container's limit): an eighth of the limit from {@link #SEGMENT_FILES_FROM}
     * up, none below it, where the heap needs every byte for its windows. Viewers ask for the live edge, so an eighth
     * holds the newest segments of many streams; older ones are served from the window.
     */
    static long segmentFilesBytes(long limitBytes) {
        return limitBytes < SEGMENT_FILES_FROM ? 0 : limitBytes / 8 / MI * MI;
    }

    static double heapShare(long limitBytes) {
        double rest = (double) (limitBytes - directBytes(limitBytes) - METASPACE - CODE_CACHE - RESERVE
                - segmentFilesBytes(limitBytes)) / limitBytes;
        // One decimal, rounded down, so the rendered percentage never exceeds what fits.
        return Math.floor(Math.max(MIN_HEAP_SHARE, Math.min(MAX_HEAP_SHARE, rest)) * 1000) / 1000;
    }
}

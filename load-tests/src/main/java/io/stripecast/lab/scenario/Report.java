package io.stripecast.lab.scenario;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a scenario run measured; written as {@code report.json} (snake_case keys), a readable
 * {@code report.md} ({@link ReportMarkdown}) and SVG plots ({@link ReportPlots}).
 *
 * @param skipped          why the run did not happen here (e.g. needs root), else null
 * @param failed           why the run could not go on (e.g. the forest never held every relay), else null
 * @param faultedRelays    the relays the fault hit, in order
 * @param segmentsMissing  summed over every relay present at the end (joiners and healed ones included)
 * @param missingByRelay   the relays that missed any, and how many
 * @param continuityIndex  viewers: segments on time / segments due (buffer model of {@link HlsViewer})
 * @param repairMs         the controller's repairs: count, and detection-to-assignments-sent p50/p99/max
 * @param recoveryMs       the lab's outside view: fault (or heal/resume) to the forest being whole, per event;
 *                         -1 when not reached
 * @param availabilityMs   per availability depth (the k-th smallest of a relay's depths over the trees):
 *                         p50/p99 of ingest-to-complete at relays of that depth, from their histograms, and
 *                         how many relays
 * @param treeDepths       depth of each stripe tree when the stream started
 * @param rootChildren     the ingest's children per stripe tree when the stream started
 * @param originEgressRatio ingest shard bytes out / stream bytes in; {@code originEgressExpected} = (k+m)/k
 *                         when the ingest has one child per tree
 * @param controlOverheadRatio control-plane bytes (both directions, at the controller) / shard bytes moved
 * @param cpuSecondsPerGb  relays' CPU seconds per GB they sent (shards + playback), both counted in {@link CpuWindow}'s
 *                         window: after the warm-up, before the lab's verification downloads
 * @param comparison       viewer-side figures per system (stripecast, and the baseline when run)
 * @param depthComparison  per depth: availability at the serving node (probe players) per system, p50/p99
 * @param availabilityOverTime per viewer depth: [ms since the source started, median availability ms]
 * @param continuityOverTime [ms since the source started, share of viewers that had the segment in time]
 * @param marks            fault events as [ms since the source started, label], for the plots
 * @param relaysDarkSeconds summed over every relay that should carry the stream and is still in the run at the end
 *                         (relays the fault hit left out): the time its playlist was not answerable (a plain reload
 *                         answered other than 200, or not at all) after it first answered one, as its players and
 *                         probes saw it (per relay the longest of its players'), through the stream's end until the
 *                         players stop. 0 is the goal: a relay that is alive and carries a stream always serves it,
 *                         after the end too (the ended window is served until it expires)
 * @param darkByRelay      the relays with any dark time, seconds
 * @param streamEnd        the publisher's end: whether the source ended its stream, how many relays ended their playlist
 *                         with ENDLIST (and which did not), ms from the source's last upload to ENDLIST per depth and relay
 *                         (polled every ~25 ms) and each relay's own end delay metric, and the exit of each ffmpeg follower
 */
public record Report(String scenario, String skipped, String failed, int relays, int streams, int k, int m, String fault, List<String> faultedRelays,
                     String network, String source, int segmentsExpected, int segmentsMissing, Map<String, Integer> missingByRelay,
                     double continuityIndex, int stalls, int viewers, double startupMsMean, Map<String, Double> repairMs,
                     Map<String, Long> recoveryMs, Map<String, Map<String, Double>> availabilityMs, List<Integer> treeDepths,
                     List<Integer> rootChildren, double originEgressRatio, double originEgressExpected, double controlBytes,
                     double dataBytes, double controlOverheadRatio, double cpuSecondsPerGb, List<String> timeline, List<String> notes,
                     Map<String, Map<String, Double>> comparison, Map<String, Map<String, Map<String, Double>>> depthComparison,
                     Map<String, List<long[]>> availabilityOverTime, List<double[]> continuityOverTime, List<Object[]> marks,
                     double relaysDarkSeconds, Map<String, Double> darkByRelay, Map<String, Object> streamEnd) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** A run that could not happen here: the report says why and nothing else. */
    public static Report skipped(Scenario s, String why) {
        return stopped(s, why, null, List.of());
    }

    /** A run that could not go on: why, and what happened until then. */
    public static Report failed(Scenario s, String why, List<String> timeline) {
        return stopped(s, null, why, timeline);
    }

    private static Report stopped(Scenario s, String skipped, String failed, List<String> timeline) {
        String why = skipped != null ? skipped : failed;
        return new Report(s.name(), skipped, failed, s.relays(), s.source().streams(), s.k(), s.m(), s.fault().kind(), List.of(),
                s.network().mode(), s.source().kind(), 0, 0, Map.of(), Double.NaN, 0, 0, Double.NaN, Map.of(), Map.of(), Map.of(),
                List.of(), List.of(), Double.NaN, (double) (s.k() + s.m()) / s.k(), 0, 0, Double.NaN, Double.NaN, timeline,
                List.of(why), Map.of(), Map.of(), Map.of(), List.of(), List.of(), 0, Map.of(), Map.of());
    }

    /** This report with one more system beside stripecast: its viewer figures and its availability per depth. */
    public Report withBaseline(String name, Map<String, Double> figures, Map<String, Map<String, Double>> byDepth) {
        Map<String, Map<String, Double>> all = new LinkedHashMap<>(comparison);
        all.put(name, figures);
        Map<String, Map<String, Map<String, Double>>> depths = new LinkedHashMap<>(depthComparison);
        if (!byDepth.isEmpty()) {
            depths.put(name, byDepth);
        }
        return new Report(scenario, skipped, failed, relays, streams, k, m, fault, faultedRelays, network, source, segmentsExpected,
                segmentsMissing, missingByRelay, continuityIndex, stalls, viewers, startupMsMean, repairMs, recoveryMs, availabilityMs,
                treeDepths, rootChildren, originEgressRatio, originEgressExpected, controlBytes, dataBytes, controlOverheadRatio,
                cpuSecondsPerGb, timeline, notes, all, depths, availabilityOverTime, continuityOverTime, marks, relaysDarkSeconds,
                darkByRelay, streamEnd);
    }

    public boolean passed() {
        return skipped == null && failed == null && segmentsMissing == 0;
    }

    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve("report.json").toFile(), this);
        Files.writeString(dir.resolve("availability.svg"), ReportPlots.availabilityByDepth(this));
        Files.writeString(dir.resolve("over-time.svg"), ReportPlots.overTime(this));
        Files.writeString(dir.resolve("report.md"), ReportMarkdown.of(this));
    }
}

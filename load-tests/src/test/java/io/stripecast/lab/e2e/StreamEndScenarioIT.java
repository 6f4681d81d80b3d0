package io.stripecast.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stripecast.lab.scenario.Report;
import io.stripecast.lab.scenario.Scenario;
import io.stripecast.lab.scenario.ScenarioRunner;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lab's stream-end scenario as CI runs it: the publisher ends the stream right after an interior relay died;
 * report.json must show every relay still in the run ending its playlist with ENDLIST, the ffmpeg followers
 * exiting 0, no segment missing and no relay dark.
 */
class StreamEndScenarioIT {
    @Test
    void streamEndScenarioEndsEveryPlaylistWithNothingMissingAndNoRelayDark() throws Exception {
        Scenario scenario = Scenario.load(Path.of("scenarios", "stream-end.properties"));
        assertThat(scenario.endFollowers()).isGreaterThanOrEqualTo(1);
        Path dir = Path.of("target", "lab", scenario.name());
        Report report = new ScenarioRunner(scenario, dir).run();
        report.write(dir);

        JsonNode json = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        for (String field : new String[]{"scenario", "relays", "segments_expected", "segments_missing", "relays_dark_seconds",
                "dark_by_relay", "stream_end"}) {
            assertThat(json.has(field)).as("report.json has %s", field).isTrue();
        }
        assertThat(json.get("failed").isNull()).as("the run went through: %s", json.get("failed")).isTrue();
        assertThat(json.get("segments_expected").asInt()).isGreaterThanOrEqualTo(18);
        assertThat(json.get("segments_missing").asInt()).as("no relay still in the run misses a segment").isZero();
        assertThat(json.get("relays_dark_seconds").asDouble()).as("no relay went dark: %s", json.get("dark_by_relay")).isZero();
        JsonNode end = json.get("stream_end");
        assertThat(end.get("source_ended").asBoolean()).as("ffmpeg ended its stream with ENDLIST").isTrue();
        assertThat(end.get("relays").asInt()).isEqualTo(scenario.relays() - json.get("faulted_relays").size());
        assertThat(end.get("ended").asInt()).as("relays whose playlist ends with ENDLIST (not: %s)", end.get("not_ended"))
                .isEqualTo(end.get("relays").asInt());
        assertThat(end.get("followers_exit").size()).isEqualTo(scenario.endFollowers());
        end.get("followers_exit").fields().forEachRemaining(f -> {
            if (!f.getValue().asText().equals("relay left")) {
                assertThat(f.getValue().isInt() && f.getValue().asInt() == 0).as("ffmpeg following %s exits 0: %s", f.getKey(), f.getValue())
                        .isTrue();
            }
        });
        assertThat(Files.readString(dir.resolve("report.md"))).contains("relays dark", "stream end");
    }
}

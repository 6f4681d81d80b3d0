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

/** The lab's kill-interior scenario as CI runs it: its report must show no segment missing. */
class KillInteriorScenarioIT {
    @Test
    void killInteriorScenarioReportsNoMissingSegment() throws Exception {
        Scenario scenario = Scenario.load(Path.of("scenarios", "kill-interior.properties"));
        assertThat(scenario.relays()).isGreaterThanOrEqualTo(8);
        assertThat(scenario.seconds()).isGreaterThanOrEqualTo(30);
        Path dir = Path.of("target", "lab", scenario.name());
        Report report = new ScenarioRunner(scenario, dir).run();
        report.write(dir);

        JsonNode json = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        for (String field : new String[]{"scenario", "relays", "streams", "segments_expected", "segments_missing", "continuity_index",
                "repair_ms", "availability_ms", "origin_egress_ratio", "control_overhead_ratio", "cpu_seconds_per_gb"}) {
            assertThat(json.has(field)).as("report.json has %s", field).isTrue();
        }
        assertThat(json.get("segments_expected").asInt()).isGreaterThanOrEqualTo(30);
        assertThat(json.get("segments_missing").asInt()).as("no relay misses a segment after an interior SIGKILL").isZero();
        assertThat(json.get("repair_ms").get("count").asDouble()).as("the controller repaired").isGreaterThanOrEqualTo(1);
        assertThat(Files.readString(dir.resolve("report.md"))).contains("segments missing", "availability.svg");
    }
}

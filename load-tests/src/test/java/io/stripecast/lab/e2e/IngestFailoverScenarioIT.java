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
 * The lab's ingest-failover scenario as CI runs it (issue 15, never go dark): report.json must show no segment missing at
 * any relay alive at the end and no relay dark, and the controller's log that the forest was re-rooted at the standby.
 */
class IngestFailoverScenarioIT {
    @Test
    void nothingMissingAndNoRelayDark() throws Exception {
        Scenario scenario = Scenario.load(Path.of("scenarios", "ingest-failover.properties"));
        Path dir = Path.of("target", "lab", scenario.name());
        Report report = new ScenarioRunner(scenario, dir).run();
        report.write(dir);

        JsonNode json = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertThat(json.get("failed").isNull()).as("the run went through: %s", json.get("failed")).isTrue();
        assertThat(json.get("segments_expected").asInt()).isGreaterThanOrEqualTo(scenario.seconds() - 4);
        assertThat(json.get("segments_missing").asInt()).as("no relay alive at the end misses a segment: %s", json.get("missing_by_relay"))
                .isZero();
        assertThat(json.get("relays_dark_seconds").asDouble()).as("no relay went dark: %s", json.get("dark_by_relay")).isZero();
        assertThat(json.get("faulted_relays").size()).as("the fault hit").isGreaterThanOrEqualTo(1);
        String controllerLog = Files.readString(dir.resolve("logs").resolve("controller.log"));
        assertThat(controllerLog).as("the forest was re-rooted at the standby").contains("re-rooted at standby ingest");
    }

}

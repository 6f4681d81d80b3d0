package io.stripecast.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stripecast.lab.scenario.Report;
import io.stripecast.lab.scenario.Scenario;
import io.stripecast.lab.scenario.ScenarioRunner;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lab's never-go-dark scenarios as CI runs them (issue 15): report.json must show no segment missing at any relay
 * alive at the end and no relay dark, and the controller's log what it did about the fault.
 * <ul>
 *   <li>{@code capacity-shortfall}: a pool of just enough fanout loses the ingest's children of two trees 300 ms
 *   apart; the planner relaxes bounds rather than leave a relay out;</li>
 *   <li>{@code ingest-failover}: the primary ingest is SIGKILLed with a standby taking the same uploads; every tree is
 *   re-rooted at the standby.</li>
 * </ul>
 */
class NeverGoDarkScenariosIT {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "capacity-shortfall, placed by relaxing bounds",
            "ingest-failover, re-rooted at standby ingest"})
    void nothingMissingAndNoRelayDark(String name, String controllerDid) throws Exception {
        Scenario scenario = Scenario.load(Path.of("scenarios", name + ".properties"));
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
        assertThat(Files.readString(dir.resolve("logs").resolve("controller.log"))).as("what the controller did").contains(controllerDid);
    }
}

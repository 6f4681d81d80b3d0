package io.stripecast.lab.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SimReportTest {

    /** The report sets the five overlays side by side with the classic verdicts, in figures. */
    @Test
    void writesJsonAndATableWithFiveOverlayColumns(@TempDir Path dir) throws Exception {
        SimConfig c = SimConfig.defaults(300, 60, 0, 91);
        List<Overlay> all = List.of(Overlay.values());
        List<OverlayResult> runs = new Simulation(c, 2, null).run(List.of(300), List.of(0.0, 5.0), all, List.of(5000, 20000));
        SimReport.of(c, List.of(300), List.of(0.0, 5.0), all, List.of(5000, 20000), runs, 2, 1.0).write(dir);

        String md = Files.readString(dir.resolve("sim-report.md"));
        assertThat(md).contains("| | single tree | stripe forest | forest + parity | mesh | tree core + mesh leaves | classic: tree / mesh |");
        assertThat(md).contains("**latency**", "**resilience**", "**overhead**", "very poor / excellent");
        assertThat(dir.resolve("continuity-300-5000ms.svg")).exists();
        assertThat(dir.resolve("latency-300.svg")).exists();
        JsonNode json = new ObjectMapper().readTree(dir.resolve("sim-report.json").toFile());
        assertThat(json.get("runs")).hasSize(2 * (3 + 2 * 2));
        assertThat(json.get("runs").get(0).has("continuity_at")).isTrue();
    }
}

package io.stripecast.lab;

import io.stripecast.lab.scenario.MemoryBudgetRun;
import io.stripecast.lab.scenario.Report;
import io.stripecast.lab.scenario.Scenario;
import io.stripecast.lab.scenario.ScenarioRunner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** The lab's command line: {@code lab <scenario.properties> [--out DIR]} runs a scenario and writes its report. */
@Command(name = "lab", mixinStandardHelpOptions = true,
        description = "Runs a stripecast scenario on loopback (controller + relay processes, ffmpeg, HLS viewers) and writes report.json and report.md.")
public final class Lab implements Callable<Integer> {
    @Parameters(index = "0", description = "scenario file, e.g. load-tests/scenarios/kill-interior.properties")
    Path scenarioFile;

    @Option(names = "--out", description = "report folder (default: load-tests/target/lab/<scenario>)")
    Path out;

    @Option(names = "--set", description = "replace a key of the scenario file, e.g. --set ingest-starts=together --set name=try1")
    java.util.Map<String, String> overrides = new java.util.LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        if (MemoryBudgetRun.Config.isMemoryBudget(scenarioFile)) {
            MemoryBudgetRun.Config config = MemoryBudgetRun.Config.load(scenarioFile, overrides);
            Path dir = out != null ? out : Path.of("load-tests", "target", "lab", config.name());
            MemoryBudgetRun.Result result = new MemoryBudgetRun(config).run(dir);
            System.out.printf("%s: %s; report in %s%n", config.name(), result.passed() ? "passed" : "failed: " + result.failures(),
                    dir.resolve("report.md"));
            return result.passed() ? 0 : 1;
        }
        Scenario scenario = Scenario.load(scenarioFile, overrides);
        Path dir = out != null ? out : Path.of("load-tests", "target", "lab", scenario.name());
        Report report = new ScenarioRunner(scenario, dir).run();
        report.write(dir);
        if (report.skipped() != null) {
            System.out.printf("%s: skipped: %s; report in %s%n", scenario.name(), report.skipped(), dir.resolve("report.md"));
            return 0;
        }
        if (report.failed() != null) {
            System.out.printf("%s: failed: %s; report in %s%n", scenario.name(), report.failed(), dir.resolve("report.md"));
            return 1;
        }
        System.out.printf("%s: %d segments, %d missing, continuity %.3f, repair p99 %.0f ms; report in %s%n", scenario.name(),
                report.segmentsExpected(), report.segmentsMissing(), report.continuityIndex(), report.repairMs().get("p99"),
                dir.resolve("report.md"));
        return report.passed() ? 0 : 1;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Lab()).execute(args));
    }
}

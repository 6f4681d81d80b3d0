package io.stripecast.helm;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Grafana dashboard (helm/stripecast/files/stripecast-dashboard.json) queries only metrics the relay and the
 * controller really export, under the names Micrometer's Prometheus registry gives them, and covers what the
 * issue asks for.
 */
class DashboardTest {
    /** Where the apps register their meters; the dashboard follows the code, not the other way round. */
    static final List<String> SOURCES = List.of("edge-relay/src/main/java", "controller/src/main/java");
    static final Pattern COUNTER = Pattern.compile("(?:\\.counter|shardCounter|Counter\\.builder)\\(\\s*\"(stripecast\\.[a-z0-9.]+)\"");
    static final Pattern TIMER = Pattern.compile("Timer\\.builder\\(\\s*\"(stripecast\\.[a-z0-9.]+)\"");
    static final Pattern SUMMARY = Pattern.compile("DistributionSummary\\.builder\\(\\s*\"(stripecast\\.[a-z0-9.]+)\"");
    static final Pattern GAUGE = Pattern.compile("(?:\\.gauge|Gauge\\.builder)\\(\\s*\"(stripecast\\.[a-z0-9.]+)\"");
    static final Pattern METRIC_IN_QUERY = Pattern.compile("\\bstripecast_[a-z0-9_]+");

    static JsonNode dashboard;
    static Set<String> exported;

    @BeforeAll
    static void load() throws IOException {
        dashboard = Yaml.JSON.readTree(Repo.CHART.resolve("files/stripecast-dashboard.json").toFile());
        exported = exportedSeries();
    }

    /**
     * Series names as Micrometer's Prometheus registry writes them: dots become underscores, counters get
     * _total, timers _seconds_bucket/_count/_sum/_max (histograms are published), gauges stay as they are.
     */
    static Set<String> exportedSeries() throws IOException {
        Set<String> series = new TreeSet<>();
        for (String dir : SOURCES) {
            try (Stream<Path> files = Files.walk(Repo.ROOT.resolve(dir))) {
                for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
                    String code = Files.readString(p);
                    names(COUNTER, code).forEach(n -> series.add(n + "_total"));
                    names(GAUGE, code).forEach(series::add);
                    names(TIMER, code).forEach(n -> Stream.of("_bucket", "_count", "_sum", "_max")
                            .forEach(s -> series.add(n + "_seconds" + s)));
                    names(SUMMARY, code).forEach(n -> Stream.of("_bucket", "_count", "_sum", "_max")
                            .forEach(s -> series.add(n + s)));
                }
            }
        }
        return series;
    }

    private static List<String> names(Pattern p, String code) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(code);
        while (m.find()) {
            out.add(m.group(1).replace('.', '_'));
        }
        return out;
    }

    static List<JsonNode> panels() {
        List<JsonNode> out = new ArrayList<>();
        dashboard.path("panels").forEach(p -> {
            out.add(p);
            p.path("panels").forEach(out::add);
        });
        return out;
    }

    static List<String> queries() {
        List<String> out = new ArrayList<>();
        panels().forEach(p -> p.path("targets").forEach(t -> out.add(t.path("expr").asText())));
        dashboard.at("/templating/list").forEach(v -> {
            if (v.has("definition")) {
                out.add(v.path("definition").asText());
            }
        });
        return out;
    }

    @Test
    void scannerFindsTheAppsMeters() {
        // Guards the scan itself: a few meters every build has, in each naming shape.
        assertThat(exported).contains("stripecast_relay_ingest_bytes_total", "stripecast_controller_stripe_depth",
                "stripecast_relay_segment_availability_seconds_bucket", "stripecast_controller_repairs_total");
    }

    @Test
    void everyMetricTheDashboardQueriesIsOneTheAppsExport() {
        Set<String> used = new TreeSet<>();
        for (String q : queries()) {
            Matcher m = METRIC_IN_QUERY.matcher(q);
            while (m.find()) {
                used.add(m.group());
            }
        }
        assertThat(used).isNotEmpty();
        assertThat(exported).as("metrics exported by %s", SOURCES).containsAll(used);
    }

    @Test
    void dashboardCoversIngestDepthLagRepairsAvailabilityEgressAndCutOffs() {
        String titles = String.join(" | ", panels().stream().map(p -> p.path("title").asText().toLowerCase(Locale.ROOT)).toList());
        assertThat(titles).contains("ingest rate", "depth", "lag", "repair", "availability latency", "egress", "slow-child cut-offs");
        String all = String.join("\n", queries());
        assertThat(all).contains("stripecast_relay_ingest_bytes_total", "stripecast_controller_stripe_depth",
                "stripecast_relay_stripe_lag_seconds", "stripecast_controller_repairs_total",
                "stripecast_relay_segment_availability_seconds_bucket", "stripecast_relay_shard_bytes_out_total",
                "stripecast_relay_playback_bytes_total", "stripecast_relay_slow_child_cutoffs_total");
    }

    @Test
    void panelsAreWellFormedForTheSidecar() {
        assertThat(dashboard.path("uid").asText()).isNotBlank();
        assertThat(dashboard.path("title").asText()).isNotBlank();
        Set<Integer> ids = new HashSet<>();
        for (JsonNode p : panels()) {
            assertThat(ids.add(p.path("id").asInt())).as("panel id %s unique", p.path("id")).isTrue();
            JsonNode grid = p.path("gridPos");
            assertThat(grid.path("x").asInt() + grid.path("w").asInt()).as(p.path("title").asText()).isLessThanOrEqualTo(24);
            if (!"row".equals(p.path("type").asText())) {
                assertThat(p.path("targets")).as(p.path("title").asText()).isNotEmpty();
                // One datasource variable, so the dashboard works with whatever the Prometheus datasource is called.
                assertThat(p.at("/datasource/uid").asText()).isEqualTo("${datasource}");
                p.path("targets").forEach(t -> assertThat(t.path("refId").asText()).isNotBlank());
            }
        }
        Set<String> variables = new TreeSet<>();
        dashboard.at("/templating/list").forEach(v -> variables.add(v.path("name").asText()));
        assertThat(variables).containsExactlyInAnyOrder("datasource", "namespace", "stream");
    }
}

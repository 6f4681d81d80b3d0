package io.stripecast.lab.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import io.stripecast.lab.cluster.LocalCluster;
import io.stripecast.lab.scenario.fault.FaultContext;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.awaitility.Awaitility.await;

/** A running scenario as its fault sees it, and what the fault did, for the report. */
final class RunContext implements FaultContext {
    private final LocalCluster cluster;
    private final String stream;
    private final Timeline timeline;
    private final ViewerSet viewers;
    private final Set<String> left = new LinkedHashSet<>();
    private final Set<String> joined = new LinkedHashSet<>();
    private final List<String> faulted = new ArrayList<>();
    private final Map<String, Long> recoveries = new LinkedHashMap<>();

    RunContext(LocalCluster cluster, String stream, Timeline timeline, ViewerSet viewers) {
        this.cluster = cluster;
        this.stream = stream;
        this.timeline = timeline;
        this.viewers = viewers;
    }

    @Override
    public LocalCluster cluster() {
        return cluster;
    }

    @Override
    public JsonNode forest() throws IOException, InterruptedException {
        return cluster.forest(stream);
    }

    @Override
    public void awaitIngested(int segments) {
        await("ingest has " + segments + " segments").atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> cluster.ingest().metric("stripecast_relay_ingest_segments_total") >= segments);
    }

    @Override
    public void mark(String what) {
        timeline.mark(what);
    }

    @Override
    public void note(String what) {
        timeline.note(what);
    }

    @Override
    public synchronized void left(String relayId) {
        left.add(relayId);
        viewers.serverLeft(relayId);
    }

    @Override
    public synchronized void joined(String relayId) {
        joined.add(relayId);
    }

    @Override
    public synchronized void faulted(String relayId) {
        faulted.add(relayId);
    }

    @Override
    public synchronized void recovered(String what, long millis) {
        recoveries.put(what, millis);
    }

    synchronized Set<String> left() {
        return Set.copyOf(left);
    }

    synchronized Set<String> joined() {
        return Set.copyOf(joined);
    }

    synchronized List<String> faulted() {
        return List.copyOf(faulted);
    }

    synchronized Map<String, Long> recoveries() {
        return new LinkedHashMap<>(recoveries);
    }
}

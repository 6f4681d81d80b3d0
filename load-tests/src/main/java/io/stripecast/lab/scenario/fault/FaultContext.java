package io.stripecast.lab.scenario.fault;

import com.fasterxml.jackson.databind.JsonNode;
import io.stripecast.lab.cluster.LocalCluster;

import java.io.IOException;

/** What a fault may do to a running scenario, and how it tells the report what happened. */
public interface FaultContext {
    LocalCluster cluster();

    /** The controller's current forest of the scenario's (first) stream. */
    JsonNode forest() throws IOException, InterruptedException;

    /** Blocks until the ingest committed {@code segments} segments of the first stream. */
    void awaitIngested(int segments);

    /** A timeline entry and a marker on the report's plots. */
    void mark(String what);

    /** A timeline entry only. */
    void note(String what);

    /** The relay is gone for good: not checked at the end, its viewers left with it. */
    void left(String relayId);

    /** A relay started mid-run: checked at the end like the others. */
    void joined(String relayId);

    /** The relay a fault was aimed at (the report names them). */
    void faulted(String relayId);

    /** Time from a fault to the state it should come back to, as the lab saw it from outside. */
    void recovered(String what, long millis);
}

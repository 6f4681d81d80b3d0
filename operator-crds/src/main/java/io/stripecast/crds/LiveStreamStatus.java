package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.List;

/** What the controller observed of a LiveStream: conditions and the forest's figures. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LiveStreamStatus {
    @JsonPropertyDescription("The metadata.generation this status describes.")
    public Long observedGeneration;

    @JsonPropertyDescription("Ready: the forest carries the stream. Degraded: it does, but an invariant or a relay is off.")
    public List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("Relays in the forest, the ingest included.")
    public Integer relays;

    @JsonPropertyDescription("Deepest stripe tree (edges from the ingest).")
    public Integer maxDepth;

    @JsonPropertyDescription("The relay that ingests and roots every stripe tree.")
    public String ingestRelay;

    @JsonPropertyDescription("Per stripe tree: depth and the number of interior relays.")
    public List<StripeTreeStatus> stripes;

    @JsonPropertyDescription("Tree repairs since the controller started leading.")
    public Integer repairs;

    @JsonPropertyDescription("When the last repair happened (RFC 3339).")
    public String lastRepairTime;

    @JsonPropertyDescription("Segments the ingest relay has published (its last sequence minus its first).")
    public Long segmentsIngested;
}

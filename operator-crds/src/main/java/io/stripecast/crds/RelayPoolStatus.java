package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.List;

/** What the controller observed of a RelayPool. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RelayPoolStatus {
    public Long observedGeneration;

    public List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("Relay pods the Deployment has (the ingest pod not counted).")
    public Integer replicas;

    public Integer availableReplicas;

    @JsonPropertyDescription("Relays of this pool connected to the controller's control plane, the ingest included.")
    public Integer connectedRelays;

    @JsonPropertyDescription("The pool's ingest relay, when connected.")
    public String ingestRelay;
}

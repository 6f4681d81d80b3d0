package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/** What a RelayPool asks for. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RelayPoolSpec {
    @Min(0)
    @Max(Limits.MAX_REPLICAS)
    @Default("3")
    @JsonPropertyDescription("Relay pods when autoscaling is off (the ingest pod comes on top).")
    public Integer replicas = 3;

    @JsonPropertyDescription("A HorizontalPodAutoscaler on CPU and, optionally, on egress bandwidth per relay.")
    public AutoscalingSpec autoscaling;

    @Min(value = 0, inclusive = false)
    @Max(Limits.MAX_UPLINK_MBPS)
    @Default("1000")
    @JsonPropertyDescription("Uplink per relay in Mbit/s: the planner derives each relay's fanout from it.")
    public Double uplinkMbps = 1000.0;

    @JsonPropertyDescription("Spread relays over failure domains; the planner prefers parents in a child's own zone.")
    public ZonesSpec zones;

    @JsonPropertyDescription("CPU and memory for each relay container.")
    public ResourceRequirements resources;

    @Pattern("^[^\\s]{1,512}$")
    @JsonPropertyDescription("Relay image; defaults to the controller's own image.")
    public String image;

    @Default("false")
    @JsonPropertyDescription("A second ingest pod (<pool>-ingest-standby, with its own Service): publishers push to both "
            + "ingest Services; the standby holds what the primary publishes and becomes the root of every stream's trees "
            + "if the primary is lost, so that no viewer misses a segment.")
    public Boolean standbyIngest = false;

    @Default("ClusterIP")
    @Pattern("^(ClusterIP|NodePort|LoadBalancer)$")
    @JsonPropertyDescription("Type of the playback Service viewers (or a CDN tier in front) reach.")
    public String serviceType = "ClusterIP";

    @JsonPropertyDescription("TLS for the public HTTP port (ingest, playback, tracker) from a Secret; without it the port is plain http.")
    public PublicTlsSpec tls;
}

package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

/** HorizontalPodAutoscaler settings (autoscaling/v2). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.minReplicas <= self.maxReplicas", message = "minReplicas must not exceed maxReplicas")
public class AutoscalingSpec {
    @Default("false")
    public Boolean enabled = false;

    @Min(1)
    @Max(Limits.MAX_REPLICAS)
    @Default("2")
    public Integer minReplicas = 2;

    @Min(1)
    @Max(Limits.MAX_REPLICAS)
    @Default("10")
    public Integer maxReplicas = 10;

    @Min(1)
    @Max(100)
    @Default("70")
    @JsonPropertyDescription("Average CPU utilisation (percent of requests) the autoscaler aims for.")
    public Integer targetCpuPercent = 70;

    @Min(value = 0, inclusive = false)
    @Max(Limits.MAX_UPLINK_MBPS)
    @JsonPropertyDescription("Optional: average egress per relay in Mbit/s to aim for. The relays export the gauge "
            + "stripecast_relay_egress_mbps; a custom-metrics adapter (e.g. prometheus-adapter) must serve it as a Pods metric.")
    public Double targetEgressMbps;
}

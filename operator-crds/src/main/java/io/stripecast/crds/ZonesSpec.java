package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/** Topology spread of relay pods; the node label named here is also the zone relays report to the planner. */
public class ZonesSpec {
    @Default("topology.kubernetes.io/zone")
    @Pattern("^[-._/a-zA-Z0-9]{1,316}$")
    public String topologyKey = "topology.kubernetes.io/zone";

    @Min(1)
    @Max(100)
    @Default("1")
    public Integer maxSkew = 1;

    @Default("ScheduleAnyway")
    @Pattern("^(ScheduleAnyway|DoNotSchedule)$")
    public String whenUnsatisfiable = "ScheduleAnyway";
}

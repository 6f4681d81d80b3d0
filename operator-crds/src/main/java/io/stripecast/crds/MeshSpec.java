package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** The leaf mesh: peers first, the edge as fallback; viewers never stall for the mesh. */
public class MeshSpec {
    @Default("false")
    @JsonPropertyDescription("Serve the mesh player and run the tracker for this stream.")
    public Boolean enabled = false;

    @Min(1)
    @Max(Limits.MAX_MESH_PEERS)
    @Default("8")
    @JsonPropertyDescription("Peers one viewer connects to at most.")
    public Integer maxPeers = 8;
}

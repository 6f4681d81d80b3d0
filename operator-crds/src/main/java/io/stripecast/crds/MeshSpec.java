package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;

import java.util.List;

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

    @Size(max = Limits.MAX_ICE_SERVERS)
    @JsonPropertyDescription("STUN/TURN servers handed to the viewers' browsers; none are needed when viewers share a host "
            + "or LAN. Replaces the relays' own mesh ICE settings for this stream.")
    public List<IceServerSpec> iceServers;

    @Pattern("^(all|relay)$")
    @Default("all")
    @JsonPropertyDescription("all: direct candidates and TURN; relay: TURN only, so no viewer learns another's address.")
    public String iceTransportPolicy = "all";

    @JsonPropertyDescription("TURN shared secret (coturn's static-auth-secret, the TURN REST API): each page gets a "
            + "username and credential derived from it that expire after turnCredentialTtlSeconds.")
    public SecretKeyRef turnSecretRef;

    @Min(60)
    @Max(86400)
    @Default("3600")
    @JsonPropertyDescription("Lifetime of the TURN credentials one page gets, seconds.")
    public Integer turnCredentialTtlSeconds = 3600;
}

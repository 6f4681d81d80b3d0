package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** One STUN or TURN server the player page hands to the browser's RTCPeerConnection. */
public class IceServerSpec {
    @Required
    @Pattern("^(stun|turn|turns):[^\\s]+$")
    @Size(min = 6, max = 256)
    @JsonPropertyDescription("A stun:, turn: or turns: URL, e.g. turn:turn.example.com:3478?transport=udp.")
    public String url;
}

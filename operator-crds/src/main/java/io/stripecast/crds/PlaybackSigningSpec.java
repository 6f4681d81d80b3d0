package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** The HMAC key of signed playback URLs; the operator sends it to the stream's relays over the control plane. */
public class PlaybackSigningSpec {
    @Required
    @JsonPropertyDescription("The signing key (32-256 printable ASCII characters, e.g. openssl rand -hex 32): a key of a "
            + "Secret in the LiveStream's namespace.")
    public SecretKeyRef secretRef;
}

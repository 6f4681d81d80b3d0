package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** Push ingest: the publisher's key lives in a Secret, never in the LiveStream. */
public class PushIngest {
    @Required
    @JsonPropertyDescription("The Secret key holding the publisher key (sent as 'Authorization: Bearer <key>').")
    public SecretKeyRef keySecretRef;
}

package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** Pull ingest: an upstream HLS media playlist. */
public class PullIngest {
    @Required
    @Pattern("^https?://[^\\s]{1,2040}$")
    @JsonPropertyDescription("http(s) URL of an HLS media playlist.")
    public String url;
}

package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** Pull ingest: an upstream HLS media playlist. */
public class PullIngest {
    @Required
    // The API server compiles patterns with Go's RE2, which refuses a repeat count over 1000 ({1,2040} made the
    // whole CRD invalid): the length bound is maxLength instead.
    @Pattern("^https?://[^\\s]+$")
    @Size(min = 1, max = 2048)
    @JsonPropertyDescription("http(s) URL of an HLS media playlist, or of a master (multivariant) playlist: each variant (at most 8, URIs may be relative to the master, every one checked like the pull URL) becomes a rendition.")
    public String url;
}

package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** Push ingest: the publisher's key lives in a Secret, never in the LiveStream. */
@JsonClassDescription("Publishers PUT one HLS media playlist and its segments, a master playlist with one media playlist per variant (ffmpeg -var_stream_map, at most 8 renditions), or DASH/CMAF low-latency (ffmpeg's DASH muxer).")
public class PushIngest {
    @Required
    @JsonPropertyDescription("The Secret key holding the publisher key (sent as 'Authorization: Bearer <key>').")
    public SecretKeyRef keySecretRef;
}

package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** Exactly one way in: push (ffmpeg's HLS muxer PUTs to the ingest Service) or pull (the ingest polls a URL). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.push) != has(self.pull)", message = "set exactly one of ingest.push and ingest.pull")
public class IngestSpec {
    @JsonPropertyDescription("Publishers PUT to the pool's ingest Service with this key: one HLS media playlist and its segments, a master playlist with one media playlist per variant (ffmpeg -var_stream_map, at most 8 renditions), or DASH/CMAF low-latency (ffmpeg's DASH muxer).")
    public PushIngest push;

    @JsonPropertyDescription("The ingest relay polls an upstream HLS media playlist, or a master playlist and each of its variants (one rendition each).")
    public PullIngest pull;
}

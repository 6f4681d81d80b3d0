package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** What a LiveStream asks for. Ranges are enforced by the API server (schema + CEL) and again by the operator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.k + self.m <= " + Limits.MAX_STRIPES, message = "k + m must be at most " + Limits.MAX_STRIPES)
public class LiveStreamSpec {
    @Required
    @Min(1)
    @Max(Limits.MAX_STRIPES)
    @JsonPropertyDescription("Data stripes: each segment is cut into k data shards, one per stripe tree.")
    public Integer k;

    @Min(0)
    @Max(Limits.MAX_STRIPES - 1)
    @Default("1")
    @JsonPropertyDescription("Parity stripes: any k of the k+m shards rebuild a segment, so m relay failures cost nothing.")
    public Integer m = 1;

    @Min(Limits.MIN_WINDOW_SECONDS)
    @Max(Limits.MAX_WINDOW_SECONDS)
    @Default("30")
    @JsonPropertyDescription("Seconds of history every relay keeps and every edge playlist lists.")
    public Integer windowSeconds = 30;

    @Min(value = 0, inclusive = false)
    @Max(Limits.MAX_BITRATE_MBPS)
    @Default("5")
    @JsonPropertyDescription("Expected bitrate in Mbit/s, used to size fanout until the ingest measures the real rate.")
    public Double bitrateHintMbps = 5.0;

    @Required
    @JsonPropertyDescription("Where the stream comes from: publishers push to the ingest Service, or the ingest pulls an HLS URL.")
    public IngestSpec ingest;

    @Default("all")
    @Pattern("^(all|on-demand)$")
    @JsonPropertyDescription("all: every relay of the pool carries the stream; on-demand: a relay joins when a viewer asks it.")
    public String carriage = "all";

    @JsonPropertyDescription("Browser viewers of one edge share segments over WebRTC; the edge is their tracker and HTTP fallback.")
    public MeshSpec mesh;

    @JsonPropertyDescription("Who may play the stream: open by default, or signed, expiring URLs (playback.signing).")
    public PlaybackSpec playback;

    @Required
    @Pattern(Limits.DNS_LABEL)
    @JsonPropertyDescription("Name of the RelayPool (same namespace) that carries this stream.")
    public String relayPool;
}

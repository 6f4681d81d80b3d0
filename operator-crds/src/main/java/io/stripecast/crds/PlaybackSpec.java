package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** How viewers may play the stream. Without it (or without {@code signing}) playback is open. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PlaybackSpec {
    @JsonPropertyDescription("Signed, expiring playback URLs: every request for the stream's playlist, segments, player page "
            + "and tracker carries ?exp=<unix seconds>&sig=<base64url HMAC-SHA256(key, \"/live/<stream>/|<exp>\")>, else 403 "
            + "(docs/public-edge.md).")
    public PlaybackSigningSpec signing;
}

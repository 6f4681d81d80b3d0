package io.stripecast.relay.trust;

import io.stripecast.protocol.trust.PlaybackTokens;
import io.stripecast.protocol.trust.PlaybackTokens.Verdict;
import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.http.Problems;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.stream.StreamSpec;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.List;

/**
 * Signed, expiring playback URLs on the edge (issue 16): every request for a signed stream's playlist, segments,
 * {@code hashes.json}, player page, stats beacon and tracker carries {@code exp} and {@code sig} for the stream's prefix
 * ({@link PlaybackTokens}), else {@code 403}. Streams without a key are open, as before.
 */
@ApplicationScoped
public class PlaybackGate {
    @Inject
    RelaySettings settings;
    @Inject
    RelayMetrics metrics;

    /**
     * The token query to carry on in what this answer links to ({@code exp=..&sig=..}, already checked, so nothing a
     * viewer wrote besides two checked values is echoed), {@code ""} for an open stream, or null after answering 403.
     */
    public String admit(RoutingContext ctx, StreamSpec spec) {
        String key = key(spec);
        if (key == null) {
            return "";
        }
        MultiMap query = ctx.queryParams();
        List<String> exp = query.getAll("exp");
        List<String> sig = query.getAll("sig");
        Verdict verdict;
        if (exp.size() > 1 || sig.size() > 1) {
            // Two of either: which one a cache, a proxy or this relay reads would differ.
            verdict = Verdict.MALFORMED;
        } else {
            verdict = PlaybackTokens.check(key, spec.name(), exp.isEmpty() ? null : exp.get(0), sig.isEmpty() ? null : sig.get(0),
                    System.currentTimeMillis() / 1000, settings.playback().maxTokenLifetime().toSeconds());
        }
        if (verdict == Verdict.VALID) {
            return "exp=" + exp.get(0) + "&sig=" + sig.get(0);
        }
        metrics.playbackRefused(verdict.reason);
        Problems.send(ctx, 403, "Forbidden", detail(verdict, spec.name()));
        return null;
    }

    /** Whether the stream needs a signed URL on this relay. */
    public boolean signed(StreamSpec spec) {
        return key(spec) != null;
    }

    /** The controller's key for the stream, else this relay's own setting, else none (open). */
    private String key(StreamSpec spec) {
        if (spec.playbackSigning() != null) {
            return spec.playbackSigning().key();
        }
        RelaySettings.StreamSettings s = settings.streams().get(spec.name());
        return s == null ? null : s.playbackSigningKey().orElse(null);
    }

    private String detail(Verdict verdict, String stream) {
        String shape = "stream " + stream + " plays from signed URLs only: ?exp=<unix seconds>&sig=<base64url HMAC-SHA256 of \""
                + PlaybackTokens.prefix(stream) + "|<exp>\">";
        return switch (verdict) {
            case MISSING -> "no token: " + shape;
            case MALFORMED -> "malformed token (exp: 1-12 digits, sig: " + PlaybackTokens.SIGNATURE_LENGTH
                    + " base64url characters, each once): " + shape;
            case EXPIRED -> "the signed URL has expired";
            case TOO_FAR -> "the signed URL's expiry is more than " + settings.playback().maxTokenLifetime().toHours()
                    + " h away; this edge accepts no longer-lived URLs";
            case BAD_SIGNATURE -> "the signature does not match (another stream's, another expiry's, or another key's)";
            case VALID -> throw new IllegalStateException();
        };
    }
}

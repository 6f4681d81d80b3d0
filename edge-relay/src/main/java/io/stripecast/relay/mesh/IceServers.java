package io.stripecast.relay.mesh;

import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.stream.StreamSpec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Optional;

/**
 * The RTCIceServer list one player page gets. With a TURN shared secret, each page gets its own short-lived
 * credentials by the TURN REST API rule coturn checks ({@code use-auth-secret}): user name
 * {@code <expiry epoch seconds>:<label>}, credential {@code base64(HMAC-SHA1(secret, user name))}. A page copied
 * elsewhere stops working when they expire, and the secret itself never reaches a browser.
 */
public final class IceServers {
    private IceServers() {
    }

    /** A relay's own {@code stripecast.streams.<name>.mesh} ICE settings as a spec. */
    public static StreamSpec.Ice fromSettings(RelaySettings.Mesh m) {
        return new StreamSpec.Ice(m.iceServers().orElse(java.util.List.of()), m.iceTransportPolicy() == RelaySettings.IcePolicy.relay,
                m.iceUsername(), m.iceCredential(), m.turnSecret(), m.turnCredentialTtl());
    }

    /** The page's {@code iceServers}; TURN URLs carry derived credentials (or the static user), STUN URLs none. */
    public static JsonArray forPage(StreamSpec.Ice ice, String label, long nowMillis) {
        Optional<String[]> derived = ice.turnSecret().map(secret -> restCredentials(secret, label, nowMillis / 1000 + ice.turnTtl().toSeconds()));
        JsonArray out = new JsonArray();
        for (String url : ice.urls()) {
            JsonObject server = new JsonObject().put("urls", url);
            if (url.startsWith("turn:") || url.startsWith("turns:")) {
                if (derived.isPresent()) {
                    server.put("username", derived.get()[0]).put("credential", derived.get()[1]);
                } else {
                    ice.staticUser().ifPresent(u -> server.put("username", u));
                    ice.staticCredential().ifPresent(c -> server.put("credential", c));
                }
            }
            out.add(server);
        }
        return out;
    }

    /** TURN REST API credentials valid until {@code expiryEpochSeconds}: {user name, credential}. */
    static String[] restCredentials(String secret, String label, long expiryEpochSeconds) {
        String user = expiryEpochSeconds + ":" + label;
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            return new String[] {user, Base64.getEncoder().encodeToString(mac.doFinal(user.getBytes(StandardCharsets.UTF_8)))};
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 is part of every JDK", e);
        }
    }
}

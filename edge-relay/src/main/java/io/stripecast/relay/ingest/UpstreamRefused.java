package io.stripecast.relay.ingest;

import java.io.IOException;

/** Pull ingest would not fetch a URI: the reason is one of {@link UpstreamGuard}'s words. */
final class UpstreamRefused extends IOException {
    final String reason;

    UpstreamRefused(String reason, String message) {
        super(message);
        this.reason = reason;
    }
}

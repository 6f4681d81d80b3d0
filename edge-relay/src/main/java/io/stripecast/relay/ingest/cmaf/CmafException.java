package io.stripecast.relay.ingest.cmaf;

/**
 * A CMAF upload, init segment or manifest that is not what it claims to be. {@link #reason()} is a fixed word for the
 * {@code reason} label of the ingest's metrics (never text from the upload), the message says what was wrong.
 */
public final class CmafException extends Exception {
    private final String reason;

    public CmafException(String reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}

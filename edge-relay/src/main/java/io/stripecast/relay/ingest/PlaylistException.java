package io.stripecast.relay.ingest;

/** A playlist we refuse: the message is shown to the publisher in the 400 answer. */
public final class PlaylistException extends Exception {
    public PlaylistException(String message) {
        super(message);
    }
}

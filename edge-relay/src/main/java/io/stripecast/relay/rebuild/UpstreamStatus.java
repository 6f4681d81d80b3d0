package io.stripecast.relay.rebuild;

/** Whether this relay currently receives a stripe from a parent (false for the root and when orphaned). */
@FunctionalInterface
public interface UpstreamStatus {
    boolean isReceiving(int stripe);
}

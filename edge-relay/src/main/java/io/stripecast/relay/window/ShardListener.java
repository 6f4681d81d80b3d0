package io.stripecast.relay.window;

/** Told when a shard of its stripe becomes available in the window (called outside the window's lock). */
@FunctionalInterface
public interface ShardListener {
    void onShard(long sequence);
}

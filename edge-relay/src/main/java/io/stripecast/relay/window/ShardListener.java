package io.stripecast.relay.window;

/** Told when a shard of its stripe becomes available in the window (called outside the window's lock). */
@FunctionalInterface
public interface ShardListener {
    void onShard(long sequence);

    /**
     * The lowest sequence this listener still wants shards from (a child's subscription start), so that a
     * stripe's lost shards are regenerated only from there on; {@link Long#MAX_VALUE}: none.
     */
    default long wantsFrom() {
        return Long.MAX_VALUE;
    }
}

package io.stripecast.relay.topology;

import java.util.Map;
import java.util.function.Consumer;

/**
 * Where a relay learns its place in the stripe forests. The static topology file is one source;
 * the controller's live assignments are the other. Both speak through this interface.
 */
public interface AssignmentSource {

    /** Starts delivering assignments (all streams of this relay, keyed by stream) to the listener. */
    void start(Consumer<Map<String, StreamAssignment>> listener);

    /**
     * Whether {@code childId} may subscribe to this relay in a stripe. False only when the source
     * knows that child's parent there is another relay.
     */
    boolean mayServe(String stream, int stripe, String childId);

    /** True when assignments carry the streams' parameters and a stream left out is no longer carried. */
    default boolean definesStreams() {
        return false;
    }
}

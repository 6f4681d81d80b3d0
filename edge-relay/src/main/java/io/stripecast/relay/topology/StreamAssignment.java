package io.stripecast.relay.topology;

import java.util.List;

/**
 * What this relay does for one stream: either it is the root (ingest) of every stripe tree, or it
 * has, per stripe, a parent to subscribe to (null where it takes no part in that stripe).
 */
public record StreamAssignment(String stream, boolean root, List<ParentRef> parents) {
    public StreamAssignment {
        parents = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(parents));
    }

    public ParentRef parent(int stripe) {
        return stripe < parents.size() ? parents.get(stripe) : null;
    }
}

package io.stripecast.relay.topology;

import io.stripecast.relay.stream.StreamSpec;
import io.stripecast.relay.trust.AcceptedKeys;

import java.util.List;

/**
 * What this relay does for one stream: either it is the root (ingest) of every stripe tree, or it
 * has, per stripe, a parent to subscribe to (null where it takes no part in that stripe).
 *
 * @param spec          the stream's parameters when the source defines them (the controller); null when
 *                      they come from this relay's configuration (static topology)
 * @param standbyIngest this relay also takes the publisher's uploads, to take over as root (see
 *                      StreamRuntime#isStandbyIngest)
 * @param ingestKeys    the public keys the stream's segments must be signed with; null when the source hands out
 *                      none (then signatures are not checked, see SegmentTrust)
 */
public record StreamAssignment(String stream, boolean root, List<ParentRef> parents, StreamSpec spec, boolean standbyIngest,
                               AcceptedKeys ingestKeys) {
    public StreamAssignment {
        parents = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(parents));
    }

    public StreamAssignment(String stream, boolean root, List<ParentRef> parents, StreamSpec spec, boolean standbyIngest) {
        this(stream, root, parents, spec, standbyIngest, null);
    }

    public StreamAssignment(String stream, boolean root, List<ParentRef> parents, StreamSpec spec) {
        this(stream, root, parents, spec, false);
    }

    public StreamAssignment(String stream, boolean root, List<ParentRef> parents) {
        this(stream, root, parents, null, false);
    }

    public ParentRef parent(int stripe) {
        return stripe < parents.size() ? parents.get(stripe) : null;
    }
}

package io.stripecast.controller.forest;

import java.util.Objects;

/** What happened to a stream's relay set; the planner answers each with a {@link Plan}. */
public sealed interface ForestEvent {

    /** A relay registered (or asked to carry the stream). Placed at once if the stream runs. */
    record RelayJoined(RelayInfo relay) implements ForestEvent {
        public RelayJoined {
            Objects.requireNonNull(relay, "relay");
        }
    }

    /** A relay left on purpose (after its drain, usually). Handled like a death. */
    record RelayLeft(String relayId) implements ForestEvent {
        public RelayLeft {
            Objects.requireNonNull(relayId, "relayId");
        }
    }

    /** A relay is gone (stream break, heartbeat timeout, children's reports). Only its children move. */
    record RelayDied(String relayId) implements ForestEvent {
        public RelayDied {
            Objects.requireNonNull(relayId, "relayId");
        }
    }

    /** A relay wants to leave: its children move first; it stays a leaf until {@link RelayLeft}. */
    record RelayDraining(String relayId) implements ForestEvent {
        public RelayDraining {
            Objects.requireNonNull(relayId, "relayId");
        }
    }

    /** The stream starts: build its forest over the snapshot's relays. */
    record StreamStarted() implements ForestEvent {
    }

    /** The stream stops: the forest becomes empty. */
    record StreamStopped() implements ForestEvent {
    }

    /**
     * Reconcile and tidy: finish drains, place waiting relays, drop members the registry no longer knows,
     * pull interior relays up where shallower room exists, and move every avoidable cross-zone edge.
     */
    record Rebalance() implements ForestEvent {
    }
}

package io.stripecast.controller.forest;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What the planner plans from: the relays that carry the stream, the stream's parameters, and its
 * current forest (empty when the stream is not running).
 */
public record Snapshot(Map<String, RelayInfo> relays, StreamParams stream, Forest current) {

    public Snapshot {
        Objects.requireNonNull(stream, "stream");
        relays = Map.copyOf(Objects.requireNonNull(relays, "relays"));
        relays.forEach((id, r) -> {
            if (!id.equals(r.id())) {
                throw new IllegalArgumentException("relay map key " + id + " holds relay " + r.id());
            }
        });
        current = current == null ? Forest.empty(stream.stripes()) : current;
        if (!current.isEmpty() && current.stripes() != stream.stripes()) {
            throw new IllegalArgumentException("forest has " + current.stripes() + " stripes but stream "
                    + stream.name() + " has k+m=" + stream.stripes());
        }
    }

    /** The relay set once {@code event} has happened (joined added, dead/left removed, drainer flagged). */
    public Map<String, RelayInfo> relaysAfter(ForestEvent event) {
        if (event instanceof ForestEvent.RelayJoined j) {
            Map<String, RelayInfo> copy = new HashMap<>(relays);
            copy.put(j.relay().id(), j.relay());
            return copy;
        }
        if (event instanceof ForestEvent.RelayLeft l) {
            return without(l.relayId());
        }
        if (event instanceof ForestEvent.RelayDied d) {
            return without(d.relayId());
        }
        if (event instanceof ForestEvent.RelayDraining d && relays.containsKey(d.relayId())) {
            Map<String, RelayInfo> copy = new HashMap<>(relays);
            copy.put(d.relayId(), relays.get(d.relayId()).asDraining());
            return copy;
        }
        return relays;
    }

    private Map<String, RelayInfo> without(String id) {
        if (!relays.containsKey(id)) {
            return relays;
        }
        Map<String, RelayInfo> copy = new HashMap<>(relays);
        copy.remove(id);
        return copy;
    }

    /** The snapshot after {@code event} and its {@code plan} were applied. */
    public Snapshot next(ForestEvent event, Plan plan) {
        return new Snapshot(relaysAfter(event), stream, plan.forest());
    }

    public Snapshot withForest(Forest forest) {
        return new Snapshot(relays, stream, forest);
    }
}

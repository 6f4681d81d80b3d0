package io.stripecast.controller.forest;

import java.util.Objects;

/**
 * What the planner knows about one relay.
 *
 * @param id         the relay's unique id
 * @param zone       its zone ({@code ""} when unknown; {@code null} is taken as unknown)
 * @param uplinkMbps the uplink it advertises, finite and {@code >= 0}
 * @param draining   true once the relay asked to leave: it never receives new children
 */
public record RelayInfo(String id, String zone, double uplinkMbps, boolean draining) {

    public RelayInfo {
        Objects.requireNonNull(id, "id");
        if (id.isBlank()) {
            throw new IllegalArgumentException("relay id is blank");
        }
        zone = zone == null ? "" : zone;
        if (!Double.isFinite(uplinkMbps) || uplinkMbps < 0) {
            throw new IllegalArgumentException("relay " + id + ": uplink must be finite and >= 0, got " + uplinkMbps);
        }
    }

    public RelayInfo(String id, String zone, double uplinkMbps) {
        this(id, zone, uplinkMbps, false);
    }

    public boolean hasZone() {
        return !zone.isEmpty();
    }

    public RelayInfo asDraining() {
        return draining ? this : new RelayInfo(id, zone, uplinkMbps, true);
    }
}

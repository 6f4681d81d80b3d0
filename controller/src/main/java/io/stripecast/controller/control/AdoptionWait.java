package io.stripecast.controller.control;

import io.stripecast.protocol.v1.StripeStatus;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whom a freshly leading controller still waits for before it adopts the reported forest. A relay that a
 * connected relay reports receiving from is alive (data flows from it) and will connect soon; adopting
 * without it would drop its links and move its children, so adoption waits for it, up to a deadline.
 * A parent reported as not receiving may be dead and is not waited for.
 */
final class AdoptionWait {
    private AdoptionWait() {
    }

    /**
     * @param connected ids of the relays with a control session
     * @param reports   each connected relay's last report: stream -> stripe -> status
     * @return the relays named as live parents that have no session yet, sorted
     */
    static Set<String> awaited(Set<String> connected, Collection<Map<String, Map<Integer, StripeStatus>>> reports) {
        Set<String> awaited = new TreeSet<>();
        for (Map<String, Map<Integer, StripeStatus>> byStream : reports) {
            for (Map<Integer, StripeStatus> byStripe : byStream.values()) {
                for (StripeStatus status : byStripe.values()) {
                    String parent = status.getParentId();
                    if (status.getReceiving() && !parent.isEmpty() && !connected.contains(parent)) {
                        awaited.add(parent);
                    }
                }
            }
        }
        return awaited;
    }
}

package io.stripecast.controller.forest;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * What the planner plans from: the relays that carry the stream, the stream's parameters, and its
 * current forest (empty when the stream is not running).
 */
public record Snapshot(Map<String, RelayInfo> relays, StreamParams stream, Forest current) {

    public Snapshot {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(relays, "relays");
        if (!(relays instanceof After)) {
            // An After is immutable over a checked map: no copy, no O(relays) check per event.
            relays = Map.copyOf(relays);
            relays.forEach((id, r) -> {
                if (!id.equals(r.id())) {
                    throw new IllegalArgumentException("relay map key " + id + " holds relay " + r.id());
                }
            });
        }
        current = current == null ? Forest.empty(stream.stripes()) : current;
        if (!current.isEmpty() && current.stripes() != stream.stripes()) {
            throw new IllegalArgumentException("forest has " + current.stripes() + " stripes but stream "
                    + stream.name() + " has k+m=" + stream.stripes());
        }
    }

    /**
     * The relay set once {@code event} has happened (joined added, dead/left removed, drainer flagged): an
     * unmodifiable view over this snapshot's map with the one change, O(1) to make (a copy of 100,000 relays per
     * event cost more than the repair).
     */
    public Map<String, RelayInfo> relaysAfter(ForestEvent event) {
        if (event instanceof ForestEvent.RelayJoined j) {
            return After.of(relays, null, j.relay());
        }
        if (event instanceof ForestEvent.RelayLeft l) {
            return without(l.relayId());
        }
        if (event instanceof ForestEvent.RelayDied d) {
            return without(d.relayId());
        }
        if (event instanceof ForestEvent.RelayDraining d && relays.containsKey(d.relayId())) {
            return After.of(relays, null, relays.get(d.relayId()).asDraining());
        }
        return relays;
    }

    private Map<String, RelayInfo> without(String id) {
        if (!relays.containsKey(id)) {
            return relays;
        }
        return After.of(relays, id, null);
    }

    /** Whether two relay maps are known to be equal without comparing them entry by entry. */
    static boolean sameRelays(Map<String, RelayInfo> a, Map<String, RelayInfo> b) {
        if (a == b) {
            return true;
        }
        return a instanceof After x && b instanceof After y && x.base == y.base
                && Objects.equals(x.removed, y.removed) && Objects.equals(x.put, y.put);
    }

    /** An immutable map: {@code base} with one key removed or one relay put (added or replaced). */
    static final class After extends AbstractMap<String, RelayInfo> {
        /** Views stacked on views are flattened past this depth (lookups stay O(1)). */
        private static final int MAX_DEPTH = 16;

        final Map<String, RelayInfo> base;
        final String removed;
        final RelayInfo put;
        private final int size;
        private final int depth;
        private final boolean putIsNew;

        private After(Map<String, RelayInfo> base, String removed, RelayInfo put) {
            this.base = base;
            this.removed = removed;
            this.put = put;
            this.depth = base instanceof After a ? a.depth + 1 : 1;
            this.putIsNew = put != null && !base.containsKey(put.id());
            this.size = base.size() - (removed != null && base.containsKey(removed) ? 1 : 0) + (putIsNew ? 1 : 0);
        }

        static Map<String, RelayInfo> of(Map<String, RelayInfo> base, String removed, RelayInfo put) {
            After a = new After(base, removed, put);
            return a.depth > MAX_DEPTH ? Map.copyOf(a) : a;
        }

        @Override
        public RelayInfo get(Object key) {
            if (put != null && put.id().equals(key)) {
                return put;
            }
            if (removed != null && removed.equals(key)) {
                return null;
            }
            return base.get(key);
        }

        @Override
        public boolean containsKey(Object key) {
            return get(key) != null;
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public Set<Entry<String, RelayInfo>> entrySet() {
            return new AbstractSet<>() {
                @Override
                public int size() {
                    return size;
                }

                @Override
                public Iterator<Entry<String, RelayInfo>> iterator() {
                    Iterator<Entry<String, RelayInfo>> it = base.entrySet().iterator();
                    return new Iterator<>() {
                        Entry<String, RelayInfo> next = advance();
                        boolean putDone = !putIsNew;

                        private Entry<String, RelayInfo> advance() {
                            while (it.hasNext()) {
                                Entry<String, RelayInfo> e = it.next();
                                if (removed != null && removed.equals(e.getKey())) {
                                    continue;
                                }
                                if (put != null && put.id().equals(e.getKey())) {
                                    return Map.entry(put.id(), put);
                                }
                                return e;
                            }
                            return null;
                        }

                        @Override
                        public boolean hasNext() {
                            return next != null || !putDone;
                        }

                        @Override
                        public Entry<String, RelayInfo> next() {
                            if (next != null) {
                                Entry<String, RelayInfo> e = next;
                                next = advance();
                                return e;
                            }
                            if (!putDone) {
                                putDone = true;
                                return Map.entry(put.id(), put);
                            }
                            throw new NoSuchElementException();
                        }
                    };
                }
            };
        }
    }

    /** The snapshot after {@code event} and its {@code plan} were applied. */
    public Snapshot next(ForestEvent event, Plan plan) {
        return new Snapshot(relaysAfter(event), stream, plan.forest());
    }

    public Snapshot withForest(Forest forest) {
        return new Snapshot(relays, stream, forest);
    }
}

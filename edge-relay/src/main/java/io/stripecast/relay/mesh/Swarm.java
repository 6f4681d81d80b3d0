package io.stripecast.relay.mesh;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The viewers of one stream and rendition (one info_hash) on this relay; bounded. Guarded by the tracker. */
final class Swarm {
    private final Map<String, TrackerPeer> peers = new LinkedHashMap<>();
    private final int maxPeers;

    Swarm(int maxPeers) {
        this.maxPeers = maxPeers;
    }

    boolean join(TrackerPeer peer) {
        if (peers.containsKey(peer.id())) {
            return true;
        }
        if (peers.size() >= maxPeers) {
            return false;
        }
        peers.put(peer.id(), peer);
        return true;
    }

    void leave(TrackerPeer peer) {
        peers.remove(peer.id(), peer);
    }

    TrackerPeer peer(String id) {
        return peers.get(id);
    }

    int size() {
        return peers.size();
    }

    boolean isEmpty() {
        return peers.isEmpty();
    }

    /** Up to {@code n} other peers, in random order, to receive offers. */
    List<TrackerPeer> others(TrackerPeer self, int n) {
        List<TrackerPeer> list = new ArrayList<>(peers.values());
        list.remove(self);
        Collections.shuffle(list);
        return list.subList(0, Math.min(n, list.size()));
    }
}

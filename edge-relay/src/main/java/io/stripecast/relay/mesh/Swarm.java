package io.stripecast.relay.mesh;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * The viewers of one stream and rendition (one info_hash) on this relay, with their {@link PartnerRanking}; bounded.
 * Guarded by the tracker.
 */
final class Swarm {
    private final Map<String, TrackerPeer> peers = new LinkedHashMap<>();
    private final int maxPeers;
    private final PartnerRanking ranking;

    Swarm(int maxPeers) {
        this.maxPeers = maxPeers;
        this.ranking = new PartnerRanking(maxPeers);
    }

    boolean join(TrackerPeer peer) {
        if (peers.containsKey(peer.id())) {
            return true;
        }
        if (peers.size() >= maxPeers) {
            return false;
        }
        peers.put(peer.id(), peer);
        ranking.join(peer.id());
        return true;
    }

    void leave(TrackerPeer peer) {
        if (peers.remove(peer.id(), peer)) {
            ranking.leave(peer.id());
        }
    }

    boolean contains(TrackerPeer peer) {
        return peers.get(peer.id()) == peer;
    }

    PartnerRanking ranking() {
        return ranking;
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

    /** Up to {@code n} other peers to receive offers, chosen and ordered by the super-peer rule. */
    List<TrackerPeer> others(TrackerPeer self, int n, RandomGenerator random) {
        List<TrackerPeer> list = new ArrayList<>();
        for (String id : ranking.partners(self.id(), n, random)) {
            list.add(peers.get(id));
        }
        return list;
    }
}

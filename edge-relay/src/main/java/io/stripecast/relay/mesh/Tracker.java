package io.stripecast.relay.mesh;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * WebTorrent-tracker signalling for the leaf mesh, as npm {@code p2p-media-loader} speaks it: every
 * message is an {@code announce}; the tracker keeps swarms per stream and info_hash, relays offers to
 * other peers of the same swarm and their answers back, and nothing else. Thread-safe.
 */
public final class Tracker {
    /** Swarms (renditions) one stream may have on this relay. */
    static final int MAX_SWARMS_PER_STREAM = 16;
    /** Offers relayed per announce at most, whatever numwant says. */
    static final int MAX_OFFERS = 10;
    static final int MAX_SDP = 16 * 1024;
    static final int ANNOUNCE_INTERVAL_SECONDS = 120;

    /** Why a socket must be closed: a WebSocket close code and reason. */
    public record Close(short code, String reason) {
    }

    private final int maxSwarmPeers;
    private final Map<String, Map<String, Swarm>> swarms = new HashMap<>();
    /** stream -> peer id -> its socket's peer: one socket per peer id. */
    private final Map<String, Map<String, TrackerPeer>> peers = new HashMap<>();
    /** stream -> beacon session -> its socket's peer: at most one per socket, gone when the socket closes. */
    private final Map<String, Map<String, TrackerPeer>> sessions = new HashMap<>();
    private final RandomGenerator random;

    public Tracker(int maxSwarmPeers) {
        this(maxSwarmPeers, new SplittableRandom());
    }

    Tracker(int maxSwarmPeers, RandomGenerator random) {
        this.maxSwarmPeers = maxSwarmPeers;
        this.random = random;
    }

    public synchronized TrackerPeer announce(String stream, int maxPeers, TrackerPeer bound, io.vertx.core.http.ServerWebSocket socket,
                                             JsonObject m) {
        return announce(stream, maxPeers, bound, socket, null, m);
    }

    /**
     * Handles one announce from a socket. Returns the peer the socket is now bound to (null while
     * unbound), or throws {@link Violation} when the socket must be closed.
     */
    public synchronized TrackerPeer announce(String stream, int maxPeers, TrackerPeer bound, io.vertx.core.http.ServerWebSocket socket,
                                             String session, JsonObject m) {
        if (!"announce".equals(m.getValue("action"))) {
            throw new Violation(new Close((short) 1007, "only announce is spoken here"));
        }
        String infoHash = string(m, "info_hash", 1, 64);
        String peerId = string(m, "peer_id", 1, 64);
        TrackerPeer self = bound;
        if (self == null) {
            TrackerPeer holder = peers.computeIfAbsent(stream, s -> new HashMap<>()).get(peerId);
            if (holder != null && holder.socket() != socket) {
                throw new Violation(new Close((short) 4409, "peer_id in use by another socket"));
            }
            Map<String, TrackerPeer> bySession = sessions.computeIfAbsent(stream, s -> new HashMap<>());
            // A session another socket already holds is not taken over: its beacons keep counting for that socket only.
            String own = session != null && !bySession.containsKey(session) ? session : null;
            self = new TrackerPeer(peerId, stream, socket, own);
            peers.get(stream).put(peerId, self);
            if (own != null) {
                bySession.put(own, self);
            }
        } else if (!self.id().equals(peerId)) {
            throw new Violation(new Close((short) 1008, "peer_id changed on this socket"));
        }
        Map<String, Swarm> byHash = swarms.computeIfAbsent(stream, s -> new HashMap<>());
        Swarm swarm = byHash.get(infoHash);
        if (swarm == null) {
            if (byHash.size() >= MAX_SWARMS_PER_STREAM) {
                self.send(failure(infoHash, "too many swarms for this stream"));
                return self;
            }
            swarm = new Swarm(maxSwarmPeers);
            byHash.put(infoHash, swarm);
        }
        if ("stopped".equals(m.getValue("event"))) {
            swarm.leave(self);
            dropIfEmpty(stream, infoHash);
            return self;
        }
        if (!swarm.join(self)) {
            self.send(failure(infoHash, "swarm is full"));
            return self;
        }
        if (m.containsKey("answer")) {
            relayAnswer(swarm, self, infoHash, m);
            return self;
        }
        self.send(new JsonObject().put("action", "announce").put("interval", ANNOUNCE_INTERVAL_SECONDS)
                .put("complete", 0).put("incomplete", swarm.size()).put("info_hash", infoHash).encode());
        Object offersValue = m.getValue("offers");
        if (offersValue instanceof JsonArray offers) {
            // A viewer connects to at most the stream's max-peers: no more offers of its are relayed.
            int want = Math.min(Math.min(MAX_OFFERS, maxPeers), Math.max(0, m.getValue("numwant") instanceof Number n ? n.intValue() : 0));
            var targets = swarm.others(self, Math.min(want, offers.size()), random);
            for (int i = 0; i < targets.size(); i++) {
                JsonObject o = offers.getValue(i) instanceof JsonObject jo ? jo : null;
                if (o == null || !(o.getValue("offer") instanceof JsonObject offer)) {
                    throw new Violation(new Close((short) 1007, "malformed offer"));
                }
                String offerId = string(o, "offer_id", 1, 64);
                checkSdp(offer);
                targets.get(i).send(new JsonObject().put("action", "announce").put("offer", offer).put("offer_id", offerId)
                        .put("peer_id", self.id()).put("info_hash", infoHash).encode());
            }
        }
        return self;
    }

    /** The socket closed: the peer leaves every swarm. */
    public synchronized void closed(TrackerPeer peer) {
        if (peer == null) {
            return;
        }
        Map<String, TrackerPeer> byId = peers.get(peer.stream());
        if (byId != null) {
            byId.remove(peer.id(), peer);
            if (byId.isEmpty()) {
                peers.remove(peer.stream());
            }
        }
        Map<String, TrackerPeer> bySession = sessions.get(peer.stream());
        if (bySession != null && peer.session() != null) {
            bySession.remove(peer.session(), peer);
            if (bySession.isEmpty()) {
                sessions.remove(peer.stream());
            }
        }
        Map<String, Swarm> byHash = swarms.get(peer.stream());
        if (byHash != null) {
            byHash.values().forEach(s -> s.leave(peer));
            byHash.values().removeIf(Swarm::isEmpty);
            if (byHash.isEmpty()) {
                swarms.remove(peer.stream());
            }
        }
    }

    /** A viewer's role now, the role it will have from the next term on (as scores stand now), and when that is. */
    public record Roles(PartnerRanking.Role now, PartnerRanking.Role next, long nextInMillis) {
    }

    /**
     * A stats beacon from the page that opened a tracker socket with {@code session}: feeds the super-peer rule of
     * every swarm that peer is in and returns what the page should do with new segments now and from the next term
     * (so that the outgoing and incoming first fetchers switch together, not a beacon period apart), or null when no
     * socket of this stream holds that session (the beacon still counts in the metrics, the rule ignores it).
     */
    public synchronized Roles report(String stream, String session, PartnerRanking.Report report, long nowMillis) {
        Map<String, TrackerPeer> bySession = sessions.get(stream);
        TrackerPeer peer = bySession == null ? null : bySession.get(session);
        if (peer == null) {
            return null;
        }
        long next = PartnerRanking.termEnd(nowMillis);
        PartnerRanking.Role now = PartnerRanking.Role.FREE;
        PartnerRanking.Role then = PartnerRanking.Role.FREE;
        Map<String, Swarm> byHash = swarms.get(stream);
        if (byHash != null) {
            for (Swarm swarm : byHash.values()) {
                if (swarm.contains(peer)) {
                    swarm.ranking().report(peer.id(), report);
                    now = stronger(now, swarm.ranking().role(peer.id(), nowMillis));
                    then = stronger(then, swarm.ranking().role(peer.id(), next));
                }
            }
        }
        return new Roles(now, then, next - nowMillis);
    }

    private static PartnerRanking.Role stronger(PartnerRanking.Role a, PartnerRanking.Role b) {
        return a.ordinal() <= b.ordinal() ? a : b;
    }

    /** Peers, sessions and swarms held for a stream (bounded-memory checks and the lab's tracker figures). */
    public synchronized int[] sizes(String stream) {
        Map<String, Swarm> byHash = swarms.getOrDefault(stream, Map.of());
        return new int[] {peers.getOrDefault(stream, Map.of()).size(), sessions.getOrDefault(stream, Map.of()).size(), byHash.size()};
    }

    private void relayAnswer(Swarm swarm, TrackerPeer self, String infoHash, JsonObject m) {
        String to = string(m, "to_peer_id", 1, 64);
        String offerId = string(m, "offer_id", 1, 64);
        if (!(m.getValue("answer") instanceof JsonObject answer)) {
            throw new Violation(new Close((short) 1007, "malformed answer"));
        }
        checkSdp(answer);
        TrackerPeer target = swarm.peer(to);
        if (target != null) {
            target.send(new JsonObject().put("action", "announce").put("answer", answer).put("offer_id", offerId)
                    .put("peer_id", self.id()).put("info_hash", infoHash).encode());
        }
    }

    private void dropIfEmpty(String stream, String infoHash) {
        Map<String, Swarm> byHash = swarms.get(stream);
        if (byHash != null && byHash.containsKey(infoHash) && byHash.get(infoHash).isEmpty()) {
            byHash.remove(infoHash);
        }
    }

    private static void checkSdp(JsonObject description) {
        Object sdp = description.getValue("sdp");
        Object type = description.getValue("type");
        if (!(sdp instanceof String s) || s.length() > MAX_SDP || !(type instanceof String)) {
            throw new Violation(new Close((short) 1007, "malformed session description"));
        }
    }

    private static String string(JsonObject m, String field, int min, int max) {
        Object v = m.getValue(field);
        if (!(v instanceof String s) || s.length() < min || s.length() > max) {
            throw new Violation(new Close((short) 1007, "missing or malformed " + field));
        }
        return s;
    }

    private static String failure(String infoHash, String reason) {
        return new JsonObject().put("failure reason", reason).put("info_hash", infoHash).encode();
    }

    /** The message breaks the protocol: close the socket with this code. */
    public static final class Violation extends RuntimeException {
        private final Close close;

        Violation(Close close) {
            super(close.reason(), null, false, false);
            this.close = close;
        }

        public Close close() {
            return close;
        }
    }
}

package io.stripecast.controller.forest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Our own seeded generators (no jqwik, see STACK.md): stream parameters, relay sets and event sequences.
 * Everything follows from the seed, so a failure replays from the seed in its message.
 */
final class ForestGen {

    /** How relay uplinks are drawn. */
    enum Profile {
        /** 20..1000 Mbps against a stream of 1..12 Mbps: weak and strong relays mixed, some cannot forward. */
        MIXED,
        /**
         * Capacity is never the limit: every relay feeds at least 2(k+m) children and the caller keeps at
         * least 2(k+m)+1 relays (below that, interior-disjoint trees need more forwarders than there are).
         */
        STRONG,
        /** Uplinks near what k+m children need: capacity runs short, promotions and drops happen. */
        TIGHT
    }

    final long seed;
    final SplittableRandom rnd;
    final Profile profile;
    final StreamParams stream;
    final PlannerConfig config;
    final List<String> zones;
    private int nextId;

    ForestGen(long seed, Profile profile) {
        this.seed = seed;
        this.rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + profile.ordinal());
        this.profile = profile;
        int k = 1 + rnd.nextInt(8);
        int m = rnd.nextInt(5);
        double bitrate = profile == Profile.STRONG ? 1 + rnd.nextDouble() * 3 : 1 + rnd.nextDouble() * 11;
        int maxFanout = profile == Profile.STRONG ? 64 : switch (rnd.nextInt(3)) {
            case 0 -> 16;
            case 1 -> 32;
            default -> 64;
        };
        this.config = new PlannerConfig(0.6 + rnd.nextDouble() * 0.35, maxFanout);
        this.stream = new StreamParams("s" + seed, k, m, bitrate / k, "ingest");
        int zoneCount = rnd.nextInt(5); // 0 = zones unknown
        this.zones = new ArrayList<>();
        for (int z = 0; z < zoneCount; z++) {
            zones.add("zone-" + (char) ('a' + z));
        }
    }

    /** The ingest: usually generous; sometimes exactly k+m children worth (share 1 per tree). */
    RelayInfo ingest() {
        int stripes = stream.stripes();
        double perChild = stream.shardRateMbps() / config.targetUtilisation();
        int fanout = rnd.nextInt(4) == 0 ? stripes : Math.max(stripes, config.maxFanout());
        // Slightly above the exact need so that floating point rounds the right way.
        return new RelayInfo(stream.rootRelayId(), zone(), perChild * fanout * 1.0001 + 1e-9);
    }

    RelayInfo relay() {
        return relay("r" + (nextId++));
    }

    RelayInfo relay(String id) {
        double uplink = switch (profile) {
            case MIXED -> 20 + rnd.nextDouble() * 980;
            case STRONG -> 200 + rnd.nextDouble() * 800;
            case TIGHT -> {
                // Fanout around k+m (what each relay costs the forest), a few weak ones.
                double perChild = stream.shardRateMbps() / config.targetUtilisation();
                int f = rnd.nextInt(6) == 0 ? rnd.nextInt(2) : stream.stripes() + rnd.nextInt(3);
                yield perChild * f * 1.0001 + 1e-9;
            }
        };
        return new RelayInfo(id, zone(), uplink);
    }

    /**
     * Fanout just enough: the ingest has one slot per tree and every relay feeds exactly k+m children (what each
     * relay costs the forest), so any interior death leaves the pool short.
     */
    Map<String, RelayInfo> justEnoughRelaySet(int relays) {
        Map<String, RelayInfo> out = new HashMap<>();
        out.put(stream.rootRelayId(), withFanout(stream.rootRelayId(), stream.stripes(), stream));
        for (int i = 1; i < relays; i++) {
            RelayInfo r = withFanout("r" + (nextId++), stream.stripes(), stream);
            out.put(r.id(), r);
        }
        return out;
    }

    /** A relay whose uplink allows exactly {@code fanout} children of {@code stream} (at the target utilisation). */
    RelayInfo withFanout(String id, int fanout, StreamParams stream) {
        double perChild = stream.shardRateMbps() / config.targetUtilisation();
        return new RelayInfo(id, zone(), perChild * fanout * 1.0001 + 1e-9);
    }

    /** A strong relay joining to give capacity back: it feeds {@code maxFanout} children. */
    RelayInfo strongRelay(StreamParams stream) {
        return withFanout("s" + (nextId++), config.maxFanout(), stream);
    }

    /**
     * Up to {@code count} relays with children, each interior in a different tree (shuffled): the victims of
     * deaths close together that hit several stripes at once.
     */
    List<String> interiorOfDifferentTrees(Forest f, int count) {
        List<String> out = new ArrayList<>();
        List<Integer> stripes = new ArrayList<>();
        for (int t = 0; t < f.stripes(); t++) {
            stripes.add(t);
        }
        java.util.Collections.shuffle(stripes, new java.util.Random(rnd.nextLong()));
        for (int t : stripes) {
            if (out.size() >= count) {
                break;
            }
            List<String> interior = new ArrayList<>();
            for (String id : f.members()) {
                if (!id.equals(f.root()) && !f.children(t, id).isEmpty()) {
                    interior.add(id);
                }
            }
            if (!interior.isEmpty()) {
                out.add(pick(interior));
            }
        }
        return out;
    }

    private String zone() {
        if (zones.isEmpty() || rnd.nextInt(20) == 0) {
            return "";
        }
        return zones.get(rnd.nextInt(zones.size()));
    }

    Map<String, RelayInfo> relaySet(int relays) {
        Map<String, RelayInfo> out = new HashMap<>();
        RelayInfo root = ingest();
        out.put(root.id(), root);
        for (int i = 1; i < relays; i++) {
            RelayInfo r = relay();
            out.put(r.id(), r);
        }
        return out;
    }

    /** The fewest relays the STRONG profile keeps; 1 otherwise. */
    int minRelays() {
        return profile == Profile.STRONG ? 2 * stream.stripes() + 1 : 1;
    }

    /** A random next event for {@code s}, keeping the relay count within [minRelays(), maxRelays]. */
    ForestEvent event(Snapshot s, int maxRelays) {
        Forest f = s.current();
        if (f.isEmpty()) {
            return new ForestEvent.StreamStarted();
        }
        List<String> members = new ArrayList<>(f.members());
        members.remove(f.root());
        List<String> drainers = new ArrayList<>();
        for (String id : members) {
            RelayInfo info = s.relays().get(id);
            if (info != null && info.draining()) {
                drainers.add(id);
            }
        }
        int roll = rnd.nextInt(100);
        if (roll < 30 && s.relays().size() < maxRelays) {
            return new ForestEvent.RelayJoined(relay());
        }
        if (members.isEmpty() || (roll < 68 && s.relays().size() <= minRelays() + 1)) {
            return new ForestEvent.RelayJoined(relay());
        }
        if (roll < 48) {
            return new ForestEvent.RelayDied(pick(interiorFirst(f, members)));
        }
        if (roll < 58) {
            return new ForestEvent.RelayDraining(pick(interiorFirst(f, members)));
        }
        if (roll < 68) {
            return new ForestEvent.RelayLeft(drainers.isEmpty() ? pick(members) : pick(drainers));
        }
        if (roll < 80) {
            return new ForestEvent.Rebalance();
        }
        if (roll < 86) {
            // A member re-announces itself with another uplink: it may have to shed children.
            RelayInfo old = s.relays().get(pick(members));
            if (old != null) {
                RelayInfo fresh = relay(old.id());
                return new ForestEvent.RelayJoined(new RelayInfo(old.id(), old.zone(), fresh.uplinkMbps(),
                        old.draining()));
            }
        }
        if (roll < 89) {
            return new ForestEvent.StreamStopped();
        }
        return new ForestEvent.RelayDied(pick(members));
    }

    /** Half the time only relays with children: deaths of interior relays are the interesting ones. */
    private List<String> interiorFirst(Forest f, List<String> members) {
        if (rnd.nextBoolean()) {
            return members;
        }
        List<String> interior = new ArrayList<>();
        for (String id : members) {
            if (f.childCount(id) > 0) {
                interior.add(id);
            }
        }
        return interior.isEmpty() ? members : interior;
    }

    private String pick(List<String> from) {
        return from.get(rnd.nextInt(from.size()));
    }

    /** The measured bitrate moved: the shard rate scales by 0.6..1.6, so every fanout changes. */
    StreamParams rateChange(StreamParams current) {
        return current.withShardRate(current.shardRateMbps() * (0.6 + rnd.nextDouble()));
    }

    int nextInt(int bound) {
        return rnd.nextInt(bound);
    }

    @Override
    public String toString() {
        return "seed " + seed + " (" + profile + ", k=" + stream.k() + " m=" + stream.m() + " shardRate="
                + String.format("%.3f", stream.shardRateMbps()) + " util="
                + String.format("%.2f", config.targetUtilisation()) + " maxFanout=" + config.maxFanout()
                + " zones=" + zones.size() + ")";
    }
}

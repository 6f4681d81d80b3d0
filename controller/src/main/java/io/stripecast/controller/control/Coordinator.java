package io.stripecast.controller.control;

import io.grpc.Status;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.stripecast.controller.config.ControllerSettings;
import io.stripecast.protocol.trust.PublisherKeys;
import io.stripecast.controller.forest.CheckResult;
import io.stripecast.controller.forest.Forest;
import io.stripecast.controller.forest.ForestEvent;
import io.stripecast.controller.forest.ForestPlanner;
import io.stripecast.controller.forest.InvariantChecker;
import io.stripecast.controller.forest.Move;
import io.stripecast.controller.forest.Plan;
import io.stripecast.controller.forest.PlannerConfig;
import io.stripecast.controller.forest.Relaxations;
import io.stripecast.controller.forest.RelayInfo;
import io.stripecast.controller.forest.Reroot;
import io.stripecast.controller.forest.Snapshot;
import io.stripecast.controller.forest.UplinkBudget;
import io.stripecast.controller.forest.StreamParams;
import io.stripecast.controller.registry.RelaySession;
import io.stripecast.protocol.v1.Assignments;
import io.stripecast.protocol.v1.ControllerMessage;
import io.stripecast.protocol.v1.DrainComplete;
import io.stripecast.protocol.v1.Report;
import io.stripecast.protocol.v1.StreamAssignment;
import io.stripecast.protocol.v1.StripeChildren;
import io.stripecast.protocol.v1.StripeParent;
import io.stripecast.protocol.v1.StripeStatus;
import io.stripecast.protocol.v1.Welcome;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The controller's brain: the relay registry, one forest per stream, and every planning step.
 * All state lives on one thread (events are queued to it), so plans never race; the planner itself
 * is pure, and this class does the I/O around it: assignments out, drains confirmed, metrics.
 */
@ApplicationScoped
public class Coordinator {
    private static final Logger LOG = Logger.getLogger(Coordinator.class);
    /** On-demand streams announced to one relay at most (the relay keeps no more either). */
    static final int MAX_ANNOUNCED_ON_DEMAND = 256;
    /** Segment-signing keys in force per stream (relays take no more, see the relay's AcceptedKeys). */
    static final int MAX_INGEST_KEYS = 4;

    @Inject
    ControllerSettings settings;
    @Inject
    ControllerMetrics metrics;

    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "coordinator");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, RelaySession> sessions = new TreeMap<>();
    /** Salts publisher-key verifiers: random per process, so a stream's verifier stays the same between assignments. */
    private final byte[] keySalt = PublisherKeys.newSalt();
    private final Map<String, StreamState> streams = new TreeMap<>();
    /** Draining relay -> the (child, stripe, new parent) links it waits for. */
    private final Map<String, DrainWatch> drains = new HashMap<>();
    /** Parent -> since when a child reports it unreachable. */
    private final Map<String, Long> suspects = new HashMap<>();
    private ForestPlanner planner;
    private InvariantChecker checker;
    private UplinkLedger ledger;
    private volatile boolean adopting = true;
    /** Adoption ends by then even if a relay named as a live parent never connected (nanoTime). */
    private long adoptionDeadlineNanos;
    private Set<String> adoptionAwaited = Set.of();
    /** Set when the adoption window ran out before any relay connected; the window then restarts at the first. */
    private boolean adoptionHeardNobody;
    /** Plans and answers relays only while active: from start without Kubernetes, from winning the Lease with it. */
    private volatile boolean active;
    /** The leader's control-plane address while this instance stands by, for redirecting relays. */
    private volatile String leaderAddress;

    private static final class StreamState {
        final String name;
        StreamDefinition def;
        final boolean onDemand;
        final Set<String> demanded = new HashSet<>();
        /** The relay rooting every stripe tree: fixed by configuration, or the pool's ingest relay once one is connected. */
        String root;
        Forest forest;
        int repairs;
        long lastRepairMillis;
        /** The root's sequence when first reported and now: segments ingested while this controller leads. */
        long firstRootSequence = -1;
        long lastRootSequence = -1;
        /** The last plan's status and waiting relays, logged at INFO only when they change. */
        String lastOutcome = "";
        long lastRetryMillis;
        /**
         * Public keys the stream's segments may be signed with, newest last: what its ingest and standby reported,
         * and the few before them (a failover leaves segments signed by the lost ingest in every window).
         */
        final List<com.google.protobuf.ByteString> ingestKeys = new ArrayList<>();

        StreamState(StreamDefinition def) {
            this.name = def.name();
            this.def = def;
            this.onDemand = def.onDemand();
            this.root = def.ingestRelay();
            this.forest = Forest.empty(def.stripes());
        }
    }

    private record DrainWatch(Set<String> awaited, long deadlineMillis, int moved) {
    }

    void onStart(@Observes StartupEvent event) {
        ControllerSettings.Controller c = settings.controller();
        PlannerConfig config = new PlannerConfig(c.targetUtilisation(), c.maxFanout());
        planner = new ForestPlanner(config);
        checker = new InvariantChecker(config);
        ledger = new UplinkLedger(config, metrics, c.budgetPlaybackEgress());
        settings.streams().forEach((name, s) -> streams.put(name, new StreamState(StreamDefinition.fromConfig(name, s))));
        metrics.streams(streams.size());
        if (!settings.operator().enabled()) {
            activate();
        } else {
            LOG.infof("controller %s: standing by until it holds the leader Lease", c.id());
        }
    }

    /**
     * Starts planning: listens to relays' reports for the adoption window, then plans. Called once, at start
     * without Kubernetes, or when this instance wins the leader Lease.
     */
    public synchronized void activate() {
        if (active) {
            return;
        }
        ControllerSettings.Controller c = settings.controller();
        leaderAddress = null;
        active = true;
        // A relay's reconnect backoff may outlast the window: adoption waits past it for live parents, up to
        // dead-after more (a relay silent that long would be treated as dead anyway).
        adoptionDeadlineNanos = adoptionDeadlineFromNow();
        loop.schedule(() -> guarded(this::endAdoption), c.adoptFor().toMillis(), TimeUnit.MILLISECONDS);
        long tick = Math.max(100, c.heartbeat().toMillis() / 2);
        loop.scheduleWithFixedDelay(() -> guarded(this::tick), tick, tick, TimeUnit.MILLISECONDS);
        LOG.infof("controller %s leading: %d stream(s); adopting reported forests for %s before planning", c.id(), streams.size(),
                c.adoptFor());
    }

    /** True while this instance plans (the leader, or the only controller). */
    public boolean isActive() {
        return active;
    }

    /** The control-plane address of the instance that leads, as a standby saw it; null when unknown. */
    public String leaderAddress() {
        return leaderAddress;
    }

    public void leaderAddress(String address) {
        this.leaderAddress = address;
    }

    // ---- streams declared at run time (LiveStreams) ----

    /** Outcome of declaring a stream. */
    public enum Defined { ADDED, UPDATED, REPLANNED, UNCHANGED, NAME_TAKEN }

    /**
     * Declares or updates a stream. A change of stripes, window or carriers replans the forest from scratch;
     * any other change (key, bitrate, mesh) reaches the relays with their next assignments.
     */
    public Defined define(StreamDefinition def) {
        return call(() -> {
            StreamState s = streams.get(def.name());
            if (s != null && !s.def.owner().equals(def.owner())) {
                return Defined.NAME_TAKEN;
            }
            if (s != null && s.def.equals(def)) {
                return Defined.UNCHANGED;
            }
            if (s != null && s.def.sameShape(def)) {
                s.def = def;
                sendAssignments(s.forest.members());
                return Defined.UPDATED;
            }
            Defined outcome = Defined.ADDED;
            if (s != null) {
                drop(s);
                outcome = Defined.REPLANNED;
            }
            StreamState added = new StreamState(def);
            streams.put(def.name(), added);
            metrics.streams(streams.size());
            if (!adopting) {
                for (RelaySession session : new ArrayList<>(sessions.values())) {
                    join(added, session);
                }
                // An on-demand stream is announced to every relay (Assignments.on_demand_streams), not only its members.
                sendAssignments(added.onDemand ? new ArrayList<>(sessions.keySet()) : added.forest.members());
            }
            LOG.infof("stream %s %s (k=%d m=%d, %s)", def.name(), outcome == Defined.ADDED ? "added" : "replanned", def.k(), def.m(),
                    def.pool() == null ? "ingest " + def.ingestRelay() : "pool " + def.pool());
            return outcome;
        });
    }

    /** Stops a stream's forest: its relays are told to drop it. Only its owner may remove it. */
    public boolean undefine(String name, String owner) {
        return call(() -> {
            StreamState s = streams.get(name);
            if (s == null || !s.def.owner().equals(owner)) {
                return false;
            }
            drop(s);
            metrics.streams(streams.size());
            LOG.infof("stream %s removed: its forest of %d relay(s) stopped", name, s.forest.size());
            return true;
        });
    }

    private void drop(StreamState s) {
        List<String> members = s.forest.members();
        streams.remove(s.name);
        metrics.relaxed(s.name, Relaxations.NONE);
        sendAssignments(s.onDemand ? new ArrayList<>(sessions.keySet()) : members);
    }

    /** A pool's relays as connected now: for the RelayPool's status. */
    public record PoolView(int connected, String ingestRelay) {
    }

    public PoolView pool(String pool) {
        return call(() -> {
            int connected = 0;
            String ingest = null;
            for (RelaySession r : sessions.values()) {
                if (pool.equals(r.pool())) {
                    connected++;
                    if (r.ingest() && ingest == null) {
                        ingest = r.id();
                    }
                }
            }
            return new PoolView(connected, ingest);
        });
    }

    void onStop(@Observes ShutdownEvent event) {
        loop.shutdownNow();
    }

    // ---- events from the control plane (any thread) ----

    /** A relay said hello; returns the refusal, or null once it is registered. */
    Status hello(RelaySession session) {
        return call(() -> {
            RelaySession old = sessions.get(session.id());
            if (old != null && !old.peerHost().equals(session.peerHost())) {
                metrics.rejected("duplicate_id");
                return Status.ALREADY_EXISTS.withDescription("relay id " + session.id() + " is connected from another address");
            }
            if (old != null) {
                old.close(Status.ABORTED.withDescription("replaced by a new session"));
            }
            sessions.put(session.id(), session);
            metrics.relays(sessions.size());
            session.send(ControllerMessage.newBuilder().setWelcome(Welcome.newBuilder()
                    .setControllerId(settings.controller().id())
                    .setHeartbeatMillis((int) settings.controller().heartbeat().toMillis())).build());
            LOG.infof("relay %s joined (data %s, zone '%s', uplink %.0f Mbit/s)", session.id(), session.dataAddress(),
                    session.zone(), session.uplinkMbps());
            if (!adopting) {
                for (StreamState s : streams.values()) {
                    join(s, session);
                }
                sendAssignments(List.of(session.id()));
            }
            return null;
        });
    }

    void report(String relayId, Report report, io.grpc.stub.ServerCallStreamObserver<ControllerMessage> stream) {
        submit(() -> {
            RelaySession s = sessions.get(relayId);
            if (s == null || !s.isSameStream(stream)) {
                return;
            }
            s.touch(System.currentTimeMillis());
            if (!s.record(report)) {
                // Bounded already (RelaySession); counted so a lying or broken relay shows.
                metrics.rejected("egress_figure");
            }
            noteIngested(relayId, report);
            noteIngestKeys(relayId, report);
            watchParents(s);
            checkDrains();
        });
    }

    void demand(String relayId, String stream, boolean join) {
        submit(() -> {
            StreamState s = streams.get(stream);
            RelaySession session = sessions.get(relayId);
            if (s == null || !s.onDemand || session == null || adopting) {
                metrics.rejected(s == null ? "unknown_stream" : "not_on_demand");
                return;
            }
            if (join && s.demanded.add(relayId) && !s.forest.contains(relayId)) {
                LOG.infof("stream %s: relay %s has a viewer, joining it to the forest", stream, relayId);
                join(s, session);
            } else if (!join && s.demanded.remove(relayId) && s.forest.contains(relayId) && !relayId.equals(s.root)) {
                LOG.infof("stream %s: relay %s idle, leaving the forest", stream, relayId);
                apply(s, new ForestEvent.RelayLeft(relayId), "leave", System.nanoTime());
            }
            sendAssignments(List.of(relayId));
        });
    }

    void drain(String relayId) {
        submit(() -> {
            RelaySession session = sessions.get(relayId);
            if (session == null || drains.containsKey(relayId)) {
                return;
            }
            long detected = System.nanoTime();
            session.markDraining();
            Set<String> awaited = new HashSet<>();
            for (StreamState s : streams.values()) {
                if (!s.forest.contains(relayId)) {
                    continue;
                }
                Plan plan = apply(s, new ForestEvent.RelayDraining(relayId), "drain", detected);
                if (plan == null) {
                    continue;
                }
                for (Move m : plan.moves()) {
                    if (relayId.equals(m.oldParent()) && m.newParent() != null) {
                        awaited.add(link(s.name, m.stripe(), m.child(), m.newParent()));
                    }
                }
            }
            LOG.infof("relay %s draining: %d child link(s) to move first", relayId, awaited.size());
            drains.put(relayId, new DrainWatch(awaited, System.currentTimeMillis() + settings.controller().drainGrace().toMillis(),
                    awaited.size()));
            checkDrains();
        });
    }

    /** The relay's control stream ended (crash, partition, or a drained relay leaving). */
    void ended(String relayId, io.grpc.stub.ServerCallStreamObserver<ControllerMessage> stream, String why) {
        submit(() -> {
            RelaySession s = sessions.get(relayId);
            if (s != null && s.isSameStream(stream)) {
                gone(relayId, why);
            }
        });
    }

    // ---- read side for the topology API (answers on the coordinator's thread) ----

    public List<String> streamNames() {
        return new ArrayList<>(streams.keySet());
    }

    /** Snapshot of one stream's planning state, or null for an unknown stream. */
    public StreamView view(String stream) {
        return call(() -> {
            StreamState s = streams.get(stream);
            if (s == null) {
                return null;
            }
            Snapshot snap = snapshot(s);
            CheckResult check = checker.check(snap.relays(), snap.stream(), s.forest);
            long ingested = s.firstRootSequence < 0 ? 0 : s.lastRootSequence - s.firstRootSequence + 1;
            return new StreamView(s.name, s.def.k(), s.def.m(), s.onDemand ? "on-demand" : "all", s.root,
                    s.forest, check, s.repairs, s.lastRepairMillis, snap.stream().shardRateMbps() * s.def.k(), ingested);
        });
    }

    public List<RelayView> relays() {
        return call(() -> {
            List<RelayView> out = new ArrayList<>();
            long now = System.currentTimeMillis();
            UplinkBudget budget = budget();
            for (RelaySession s : sessions.values()) {
                List<String> carried = new ArrayList<>();
                streams.values().forEach(st -> {
                    if (st.forest.contains(s.id())) {
                        carried.add(st.name);
                    }
                });
                long lag = 0;
                for (var byStripe : s.reportedStripes().values()) {
                    for (StripeStatus st : byStripe.values()) {
                        lag = Math.max(lag, st.getLagMillis());
                    }
                }
                out.add(new RelayView(s.id(), s.dataAddress(), s.playbackUrl(), s.zone(), s.uplinkMbps(), s.draining(),
                        now - s.lastSeenMillis(), lag, carried, UplinkLedger.planned(budget, s.id()), s.egressMbps(),
                        budget.limitMbps(s.id())));
            }
            return out;
        });
    }

    /** A stream's state for the topology API. */
    public record StreamView(String name, int k, int m, String carriage, String ingestRelay, Forest forest, CheckResult check,
                             int repairs, long lastRepairMillis, double bitrateMbps, long segmentsIngested) {
    }

    /**
     * A relay's state for the topology API. {@code plannedEgressMbps}: shards to its children in every stream plus its
     * measured playback; {@code measuredEgressMbps}: what it reports sending (~10 s); {@code egressLimitMbps}: uplink x
     * target utilisation, which the planner keeps the planned figure within whenever the pool allows.
     */
    public record RelayView(String id, String dataAddress, String playbackUrl, String zone, double uplinkMbps, boolean draining,
                            long lastSeenMillisAgo, long lagMillis, List<String> streams, double plannedEgressMbps,
                            double measuredEgressMbps, double egressLimitMbps) {
    }

    // ---- the coordinator's thread ----

    /** Adoption listens adopt-for, and waits up to dead-after more for relays it has reason to expect (nanoTime). */
    private long adoptionDeadlineFromNow() {
        ControllerSettings.Controller c = settings.controller();
        return System.nanoTime() + c.adoptFor().toNanos() + c.deadAfter().toNanos();
    }

    private void endAdoption() {
        if (sessions.isEmpty() && System.nanoTime() < adoptionDeadlineNanos) {
            // Nobody has reported yet: the control port opens after leadership is won and relays back off between
            // retries (the lab saw them all arrive 0.7 s after a 1 s window). There is nothing to adopt, and planning
            // now would rebuild the forest relay by relay as they come, moving everyone.
            if (!adoptionHeardNobody) {
                LOG.infof("adoption waits: no relay has connected yet");
                adoptionHeardNobody = true;
            }
            loop.schedule(() -> guarded(this::endAdoption), 50, TimeUnit.MILLISECONDS);
            return;
        }
        if (adoptionHeardNobody && !sessions.isEmpty()) {
            // The first relay is here; the others are reconnecting on the same schedule: give them the whole window.
            adoptionHeardNobody = false;
            adoptionDeadlineNanos = Math.max(adoptionDeadlineNanos, adoptionDeadlineFromNow());
            loop.schedule(() -> guarded(this::endAdoption), settings.controller().adoptFor().toMillis(), TimeUnit.MILLISECONDS);
            return;
        }
        Set<String> awaited = AdoptionWait.awaited(sessions.keySet(),
                sessions.values().stream().map(RelaySession::reportedStripes).toList());
        if (!awaited.isEmpty() && System.nanoTime() < adoptionDeadlineNanos) {
            if (!awaited.equals(adoptionAwaited)) {
                LOG.infof("adoption waits for %s: connected relays receive from them", awaited);
                adoptionAwaited = awaited;
            }
            loop.schedule(() -> guarded(this::endAdoption), 100, TimeUnit.MILLISECONDS);
            return;
        }
        if (!awaited.isEmpty()) {
            LOG.warnf("adopting without %s: named as live parents, no session within dead-after", awaited);
        }
        adopting = false;
        for (StreamState s : streams.values()) {
            Forest adopted = adoptedForest(s);
            s.forest = adopted;
            Plan plan = apply(s, new ForestEvent.StreamStarted(), null, System.nanoTime());
            int moved = plan == null ? 0 : plan.moves().size();
            LOG.infof("stream %s: adopted %d relay(s) from reports, %d link(s) changed", s.name,
                    Math.max(0, adopted.size() - 1), moved);
        }
        sendAssignments(new ArrayList<>(sessions.keySet()));
    }

    /** Brings a relay into a stream's forest: the ingest starts the forest, others join a running one. */
    private void join(StreamState s, RelaySession session) {
        if (!eligible(s, session.id()) || s.forest.contains(session.id())) {
            return;
        }
        if (s.forest.isEmpty()) {
            if (s.root == null) {
                s.root = poolIngest(s.def.pool());
            }
            if (s.root != null && sessions.containsKey(s.root)) {
                apply(s, new ForestEvent.StreamStarted(), null, System.nanoTime());
                LOG.infof("stream %s: forest started at %s with %d relay(s)", s.name, s.root, s.forest.size());
            }
            return;
        }
        apply(s, new ForestEvent.RelayJoined(session.info()), null, System.nanoTime());
    }

    /** A pool's connected ingest relay (the first by id, so every controller picks the same one), or null. */
    private String poolIngest(String pool) {
        if (pool == null) {
            return null;
        }
        for (RelaySession r : sessions.values()) {
            if (r.ingest() && pool.equals(r.pool()) && !r.draining()) {
                return r.id();
            }
        }
        return null;
    }

    /**
     * The stream's standby ingest: the configured one, or another connected ingest relay of the pool (the first by
     * id, so every controller picks the same one); only while it is a connected member of the forest and not its
     * root. Null when there is none.
     */
    private String standbyOf(StreamState s) {
        String standby = null;
        if (s.def.standbyIngestRelay() != null) {
            standby = s.def.standbyIngestRelay();
        } else if (s.def.pool() != null) {
            for (RelaySession r : sessions.values()) {
                if (r.ingest() && s.def.pool().equals(r.pool()) && !r.draining() && !r.id().equals(s.root)) {
                    standby = r.id();
                    break;
                }
            }
        }
        RelaySession r = standby == null ? null : sessions.get(standby);
        return r != null && !r.draining() && !standby.equals(s.root) && s.forest.contains(standby) ? standby : null;
    }

    /**
     * The root is lost and a standby ingest holds what it published (it is a member of the forest and took the same
     * uploads): the standby becomes the root of every tree, the lost root's children its children, nobody else
     * moves. Where the standby's uplink cannot feed them all, the caller has the planner rebalance once the lost root
     * is out of the snapshot.
     */
    private void reroot(StreamState s, String lost, String standby, long detectedNanos) {
        Forest rerooted = Reroot.at(s.forest, standby);
        List<String> touched = new ArrayList<>(s.forest.members());
        s.forest = rerooted;
        s.root = standby;
        s.repairs++;
        s.lastRepairMillis = System.currentTimeMillis();
        sendAssignments(touched);
        metrics.repair(s.name, "ingest-failover", Duration.ofNanos(System.nanoTime() - detectedNanos));
        LOG.warnf("stream %s: ingest relay %s gone; every stripe tree re-rooted at standby ingest %s in %.1f ms", s.name, lost,
                standby, (System.nanoTime() - detectedNanos) / 1e6);
    }

    /** The forest the relays report, restricted to connected relays that may carry the stream. */
    private Forest adoptedForest(StreamState s) {
        if (s.root == null) {
            s.root = poolIngest(s.def.pool());
        }
        String root = s.root;
        int stripes = s.def.k() + s.def.m();
        if (root == null || !sessions.containsKey(root)) {
            return Forest.empty(stripes);
        }
        List<Map<String, String>> parents = new ArrayList<>();
        for (int i = 0; i < stripes; i++) {
            parents.add(new LinkedHashMap<>());
        }
        for (RelaySession r : sessions.values()) {
            if (r.id().equals(root)) {
                continue;
            }
            Map<Integer, StripeStatus> reported = r.reportedStripes().get(s.name);
            if (reported == null) {
                continue;
            }
            if (s.onDemand) {
                s.demanded.add(r.id());
            }
            for (StripeStatus st : reported.values()) {
                String parent = st.getParentId();
                if (st.getStripe() < stripes && !parent.isEmpty() && sessions.containsKey(parent)) {
                    parents.get(st.getStripe()).put(r.id(), parent);
                }
            }
        }
        try {
            return Forest.of(root, parents, null);
        } catch (IllegalArgumentException e) {
            LOG.warnf("stream %s: reported forest unusable (%s), planning anew", s.name, e.getMessage());
            return Forest.empty(stripes);
        }
    }

    private void tick() {
        long now = System.currentTimeMillis();
        long deadAfter = settings.controller().deadAfter().toMillis();
        for (RelaySession s : new ArrayList<>(sessions.values())) {
            if (now - s.lastSeenMillis() > deadAfter) {
                LOG.infof("relay %s silent for %d ms: dead", s.id(), now - s.lastSeenMillis());
                s.close(Status.DEADLINE_EXCEEDED.withDescription("no report within " + deadAfter + " ms"));
                gone(s.id(), "heartbeat");
            }
        }
        for (var e : new ArrayList<>(suspects.entrySet())) {
            if (now - e.getValue() > deadAfter && sessions.containsKey(e.getKey())) {
                LOG.infof("relay %s unreachable for its children for %d ms: treated as dead", e.getKey(), now - e.getValue());
                RelaySession s = sessions.get(e.getKey());
                s.close(Status.UNAVAILABLE.withDescription("children cannot reach this relay"));
                gone(e.getKey(), "children");
            }
        }
        checkDrains();
        retryWaiting(now);
        relieveUplinks(now);
    }

    /**
     * One uplink, many streams: a relay promised more than {@code uplink x utilisation} (a stream's bitrate rose, its
     * viewers took more, another stream took a share) has the streams it feeds rebalanced, each planned against what
     * the others leave, so they shed children to relays with room. At most once per stream per retry-waiting interval
     * (the same clock as {@link #retryWaiting}), so a noisy playback figure cannot make the forest churn.
     */
    private void relieveUplinks(long now) {
        if (adopting) {
            return;
        }
        UplinkBudget budget = budget();
        ledger.publish(budget, sessions.values());
        long every = settings.controller().retryWaiting().toMillis();
        Set<String> streamsToRelieve = new java.util.TreeSet<>();
        for (RelaySession r : sessions.values()) {
            if (budget.overLimit(r.id())) {
                streamsToRelieve.addAll(budget.streamsFedBy(r.id()));
            }
        }
        List<StreamState> relieved = new ArrayList<>();
        for (String name : streamsToRelieve) {
            StreamState s = streams.get(name);
            if (s == null || s.forest.isEmpty() || now - s.lastRetryMillis < every) {
                continue;
            }
            s.lastRetryMillis = now;
            LOG.debugf("stream %s: rebalanced to relieve relays over their uplink", name);
            apply(s, new ForestEvent.Rebalance(), null, System.nanoTime());
            relieved.add(s);
        }
        // The first streams relieved were planned while the later ones still held their old share: where that left
        // them relaxed, once more now that the others have shed.
        for (StreamState s : relieved) {
            if (!s.forest.relaxed().isEmpty()) {
                apply(s, new ForestEvent.Rebalance(), null, System.nanoTime());
            }
        }
        if (!streamsToRelieve.isEmpty()) {
            ledger.publish(budget(), sessions.values());
        }
    }

    /**
     * Plans again the streams that leave connected relays out or hold some only by relaxing bounds: capacity or the
     * bitrate may have changed since, and a Rebalance places relaxed relays strictly as soon as it can (tightening).
     */
    private void retryWaiting(long now) {
        if (adopting) {
            return;
        }
        long every = settings.controller().retryWaiting().toMillis();
        for (StreamState s : streams.values()) {
            if (s.forest.isEmpty() || now - s.lastRetryMillis < every) {
                continue;
            }
            boolean waits = !s.forest.relaxed().isEmpty() || sessions.values().stream()
                    .anyMatch(r -> !r.draining() && eligible(s, r.id()) && !s.forest.contains(r.id()));
            if (waits) {
                s.lastRetryMillis = now;
                apply(s, new ForestEvent.Rebalance(), null, System.nanoTime());
            }
        }
    }

    private void gone(String relayId, String cause) {
        long detected = System.nanoTime();
        RelaySession s = sessions.get(relayId);
        boolean planned = s != null && s.draining();
        drains.remove(relayId);
        suspects.remove(relayId);
        List<StreamState> rerooted = new ArrayList<>();
        if (!adopting) {
            for (StreamState st : streams.values()) {
                st.demanded.remove(relayId);
                String standby = relayId.equals(st.root) ? standbyOf(st) : null;
                if (standby != null) {
                    reroot(st, relayId, standby, detected);
                    rerooted.add(st);
                } else if (relayId.equals(st.root) && st.def.pool() != null) {
                    rootLost(st, relayId);
                } else if (st.forest.contains(relayId)) {
                    // Planned while the relay is still in the snapshot: the planner sees exactly one event.
                    ForestEvent event = planned ? new ForestEvent.RelayLeft(relayId) : new ForestEvent.RelayDied(relayId);
                    apply(st, event, planned ? "leave" : cause, detected);
                }
            }
            if (!planned) {
                LOG.infof("relay %s gone (%s): repaired in %.1f ms", relayId, cause, (System.nanoTime() - detected) / 1e6);
            }
        }
        sessions.remove(relayId);
        metrics.relays(sessions.size());
        // Only now, with the lost root out of the snapshot (a plan over it would take it back into the forest):
        // where the standby's uplink cannot feed the lost root's children, the planner rebalances within the bounds.
        for (StreamState st : rerooted) {
            if (!checker.check(snapshot(st)).ok()) {
                apply(st, new ForestEvent.Rebalance(), null, detected);
            }
        }
    }

    /**
     * A pool stream's ingest relay is gone: nothing upstream of the trees is left, so the forest stops and starts
     * again at the pool's next ingest relay (the Deployment brings a new one).
     */
    private void rootLost(StreamState s, String root) {
        List<String> members = new ArrayList<>(s.forest.members());
        members.remove(root);
        s.forest = Forest.empty(s.def.stripes());
        s.root = null;
        s.firstRootSequence = -1;
        s.lastRootSequence = -1;
        sendAssignments(members);
        LOG.warnf("stream %s: ingest relay %s gone; the forest restarts at the pool's next ingest relay", s.name, root);
        String next = poolIngest(s.def.pool());
        if (next != null && !next.equals(root)) {
            join(s, sessions.get(next));
            sendAssignments(s.forest.members());
        }
    }

    /**
     * Plans one event for one stream, adopts the result and sends the assignments it changes. When the stream's
     * uplink budget shrank under its forest since its last plan (another stream or the viewers took uplink), a
     * Rebalance goes first: repairs and joins move only what their event needs and would keep the over-commitment.
     */
    private Plan apply(StreamState s, ForestEvent event, String repairCause, long detectedNanos) {
        Snapshot snap = snapshot(s);
        if (!(event instanceof ForestEvent.Rebalance) && !(event instanceof ForestEvent.StreamStopped)
                && UplinkBudget.outgrown(s.forest, snap.relays(), snap.stream(), planner.config())) {
            LOG.debugf("stream %s: uplink budget shrank under the forest, rebalancing before %s", s.name, event);
            applyOne(s, new ForestEvent.Rebalance(), snap, null, detectedNanos);
            snap = snapshot(s);
        }
        return applyOne(s, event, snap, repairCause, detectedNanos);
    }

    private Plan applyOne(StreamState s, ForestEvent event, Snapshot snap, String repairCause, long detectedNanos) {
        long t0 = System.nanoTime();
        Plan plan;
        try {
            plan = planner.plan(snap, event);
        } catch (IllegalArgumentException e) {
            LOG.warnf("stream %s: %s not planned: %s", s.name, event, e.getMessage());
            return null;
        }
        metrics.plan(Duration.ofNanos(System.nanoTime() - t0));
        Forest before = s.forest;
        s.forest = plan.forest();
        String outcome = plan.status() + " " + plan.unplaced() + " " + plan.forest().relaxed();
        if (plan.status() != Plan.Status.OK && (!outcome.equals(s.lastOutcome) || !plan.moves().isEmpty())) {
            LOG.infof("stream %s: plan %s %s", s.name, plan.status(), plan.notes());
        } else if (plan.status() != Plan.Status.OK) {
            LOG.debugf("stream %s: plan %s again %s", s.name, plan.status(), plan.notes());
        }
        s.lastOutcome = outcome;
        Set<String> touched = new HashSet<>();
        for (Move m : plan.moves()) {
            touched.add(m.child());
            // The old parent learns the child left (it no longer serves it); the new one is added with the child.
            if (m.oldParent() != null) {
                touched.add(m.oldParent());
            }
        }
        for (String id : s.forest.members()) {
            if (!before.contains(id)) {
                touched.add(id);
            }
        }
        for (String id : before.members()) {
            if (!s.forest.contains(id)) {
                touched.add(id);
            }
        }
        sendAssignments(touched);
        if (repairCause != null && !plan.moves().isEmpty()) {
            s.repairs++;
            s.lastRepairMillis = System.currentTimeMillis();
            metrics.repair(s.name, repairCause, Duration.ofNanos(System.nanoTime() - detectedNanos));
        }
        for (int i = 0; i < s.forest.stripes(); i++) {
            metrics.depth(s.name, i, s.forest.isEmpty() ? 0 : s.forest.treeDepth(i));
        }
        metrics.relaxed(s.name, plan.relaxations());
        if (!before.relaxed().isEmpty() && s.forest.relaxed().isEmpty() && !s.forest.isEmpty()) {
            LOG.infof("stream %s: every relay within the bounds again (%d link(s) moved)", s.name, plan.moves().size());
        }
        return plan;
    }

    /** What the planner sees for one stream: each relay with the share of its uplink the other streams leave. */
    private Snapshot snapshot(StreamState s) {
        UplinkBudget budget = budget();
        Map<String, RelayInfo> relays = new TreeMap<>();
        for (RelaySession r : sessions.values()) {
            if (eligible(s, r.id()) || s.forest.contains(r.id())) {
                relays.put(r.id(), budget.forStream(r.info(), s.name));
            }
        }
        return new Snapshot(relays, params(s), s.forest);
    }

    private StreamParams params(StreamState s) {
        RelaySession root = s.root == null ? null : sessions.get(s.root);
        double measured = root == null ? 0 : root.bitrate(s.name) / 1e6;
        double bitrate = Math.max(measured, s.def.bitrateHintMbps());
        // A pool stream waits for its ingest relay with an empty forest; "" names no relay.
        return new StreamParams(s.name, s.def.k(), s.def.m(), bitrate / s.def.k(), s.root == null ? "" : s.root);
    }

    /** Every relay's uplink against every stream's current forest at its current bitrate (one uplink, many streams). */
    private UplinkBudget budget() {
        List<UplinkBudget.StreamLoad> loads = new ArrayList<>(streams.size());
        for (StreamState s : streams.values()) {
            loads.add(new UplinkBudget.StreamLoad(params(s), s.forest));
        }
        return ledger.budget(sessions.values(), loads);
    }

    /** A relay may carry a stream when it is of the stream's pool (or the stream has none). */
    private boolean mayCarry(StreamState s, String relayId) {
        if (s.def.pool() == null) {
            return true;
        }
        RelaySession r = sessions.get(relayId);
        return r != null && s.def.pool().equals(r.pool());
    }

    private boolean eligible(StreamState s, String relayId) {
        if (relayId.equals(s.root)) {
            return true;
        }
        if (s.def.pool() != null) {
            RelaySession r = sessions.get(relayId);
            if (r == null || !s.def.pool().equals(r.pool())) {
                return false;
            }
        }
        return !s.onDemand || s.demanded.contains(relayId);
    }

    private void sendAssignments(Iterable<String> relayIds) {
        // A parent serves only the children its assignments name: whoever gets new parents, those parents hear of it too.
        Set<String> recipients = new java.util.LinkedHashSet<>();
        for (String id : relayIds) {
            recipients.add(id);
            for (StreamState s : streams.values()) {
                for (int i = 0; s.forest.contains(id) && i < s.forest.stripes(); i++) {
                    String parent = s.forest.parent(i, id);
                    if (parent != null) {
                        recipients.add(parent);
                    }
                }
            }
        }
        for (String id : recipients) {
            RelaySession session = sessions.get(id);
            if (session != null) {
                session.assign(assignmentsFor(id));
            }
        }
    }

    private Assignments assignmentsFor(String relayId) {
        Assignments.Builder a = Assignments.newBuilder();
        for (StreamState s : streams.values()) {
            if (!s.forest.contains(relayId)) {
                continue;
            }
            boolean root = relayId.equals(s.forest.root());
            boolean standby = !root && relayId.equals(standbyOf(s));
            var params = io.stripecast.protocol.v1.StreamParams.newBuilder()
                    .setName(s.name).setK(s.def.k()).setM(s.def.m())
                    .setWindowMillis(s.def.window().toMillis()).setOnDemand(s.onDemand);
            // The standby takes the publisher's uploads too, so it checks the same key. Only what verifies the key
            // goes out (issue 16): whoever reads the control plane learns a salted HMAC, not the key.
            if (root || standby) {
                if (s.def.publisherKey() != null) {
                    params.setPublisherKeyVerifier(PublisherKeys.verifier(s.def.publisherKey(),
                            PublisherKeys.saltFor(keySalt, s.name)));
                }
                if (s.def.pullUrl() != null) {
                    params.setPullUrl(s.def.pullUrl());
                }
            }
            if (s.def.meshMaxPeers() > 0) {
                params.setMeshEnabled(s.def.meshEnabled()).setMeshMaxPeers(s.def.meshMaxPeers());
                IceSettings ice = s.def.ice();
                if (!ice.servers().isEmpty()) {
                    params.addAllMeshIceServers(ice.servers()).setMeshIceTransportPolicy(ice.transportPolicy())
                            .setMeshTurnTtlSeconds(ice.turnTtlSeconds());
                    if (ice.turnSecret() != null) {
                        params.setMeshTurnSecret(ice.turnSecret());
                    }
                }
            }
            // Every relay of the stream serves viewers, so every one checks their tokens (a symmetric key: it has to).
            if (s.def.playbackSigningKey() != null) {
                params.setPlaybackSigningKey(s.def.playbackSigningKey());
            }
            StreamAssignment.Builder sa = StreamAssignment.newBuilder().setParams(params).setRoot(root).setStandbyIngest(standby)
                    .addAllIngestPublicKeys(s.ingestKeys);
            for (int i = 0; i < s.forest.stripes(); i++) {
                List<String> children = s.forest.children(i, relayId);
                if (!children.isEmpty()) {
                    sa.addChildren(StripeChildren.newBuilder().setStripe(i).addAllChildIds(children));
                }
            }
            if (!root) {
                for (int i = 0; i < s.forest.stripes(); i++) {
                    String parent = s.forest.parent(i, relayId);
                    RelaySession p = parent == null ? null : sessions.get(parent);
                    if (p != null) {
                        sa.addParents(StripeParent.newBuilder().setStripe(i).setParentId(parent).setParentAddress(p.dataAddress()));
                    }
                }
            }
            a.addStreams(sa);
        }
        for (StreamState s : streams.values()) {
            if (s.onDemand && !s.forest.contains(relayId) && mayCarry(s, relayId)
                    && a.getOnDemandStreamsCount() < MAX_ANNOUNCED_ON_DEMAND) {
                a.addOnDemandStreams(s.name);
            }
        }
        return a.build();
    }

    /** The root's newest sequence per stream, for the segments-ingested figure. */
    private void noteIngested(String relayId, Report report) {
        for (StripeStatus st : report.getStripesList()) {
            StreamState s = streams.get(st.getStream());
            if (s == null || st.getStripe() != 0 || !relayId.equals(s.root) || st.getLastSequence() == 0) {
                continue;
            }
            if (s.firstRootSequence < 0) {
                s.firstRootSequence = st.getLastSequence();
            }
            s.lastRootSequence = Math.max(s.lastRootSequence, st.getLastSequence());
        }
    }

    /**
     * An ingest's segment-signing key for a stream: taken only from the stream's root or standby ingest (any other relay
     * naming a key is refused and counted), kept among the stream's last {@value #MAX_INGEST_KEYS}, and handed to every
     * relay of the stream when it is new.
     */
    private void noteIngestKeys(String relayId, Report report) {
        for (io.stripecast.protocol.v1.IngestKey k : report.getIngestKeysList()) {
            StreamState s = streams.get(k.getStream());
            if (s == null) {
                continue; // a stream that ended meanwhile
            }
            boolean ingest = relayId.equals(s.forest.root()) || relayId.equals(s.root) || relayId.equals(standbyOf(s));
            if (!ingest || k.getPublicKey().size() != 32) {
                // A report written before this relay's last assignment took its ingest role away is stale, not hostile.
                if (!toldIngest(relayId, s.name)) {
                    metrics.rejected("ingest_key");
                }
                continue;
            }
            if (s.ingestKeys.contains(k.getPublicKey())) {
                continue;
            }
            s.ingestKeys.add(k.getPublicKey());
            while (s.ingestKeys.size() > MAX_INGEST_KEYS) {
                s.ingestKeys.remove(0);
            }
            LOG.infof("stream %s: segment signing key of ingest %s accepted (%d key(s) in force)", s.name, relayId,
                    s.ingestKeys.size());
            sendAssignments(s.forest.members());
        }
    }

    private boolean toldIngest(String relayId, String stream) {
        RelaySession session = sessions.get(relayId);
        Assignments last = session == null ? null : session.lastSent();
        return last != null && last.getStreamsList().stream()
                .anyMatch(a -> a.getParams().getName().equals(stream) && (a.getRoot() || a.getStandbyIngest()));
    }

    /** Children reporting a parent they cannot reach: evidence of a silent failure (partition). */
    private void watchParents(RelaySession child) {
        long now = System.currentTimeMillis();
        for (var byStream : child.reportedStripes().entrySet()) {
            StreamState s = streams.get(byStream.getKey());
            if (s == null) {
                continue;
            }
            for (StripeStatus st : byStream.getValue().values()) {
                String parent = st.getParentId();
                boolean assigned = !parent.isEmpty() && parent.equals(s.forest.parent(st.getStripe(), child.id()));
                if (!assigned) {
                    continue;
                }
                if (st.getReceiving()) {
                    suspects.remove(parent);
                } else {
                    suspects.putIfAbsent(parent, now);
                }
            }
        }
    }

    private void checkDrains() {
        long now = System.currentTimeMillis();
        for (var it = drains.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            DrainWatch w = e.getValue();
            w.awaited().removeIf(this::confirmed);
            if (w.awaited().isEmpty() || now > w.deadlineMillis()) {
                RelaySession s = sessions.get(e.getKey());
                if (s != null) {
                    if (!w.awaited().isEmpty()) {
                        LOG.warnf("relay %s: drain grace over, %d link(s) unconfirmed", e.getKey(), w.awaited().size());
                    }
                    s.send(ControllerMessage.newBuilder().setDrainComplete(DrainComplete.newBuilder().setChildrenMoved(w.moved())).build());
                    LOG.infof("relay %s drained: %d child link(s) moved", e.getKey(), w.moved());
                }
                it.remove();
            }
        }
    }

    private boolean confirmed(String link) {
        String[] p = link.split("\u0000");
        RelaySession child = sessions.get(p[2]);
        if (child == null) {
            return true; // the child is gone: nothing left to wait for
        }
        StripeStatus st = child.reported(p[0], Integer.parseInt(p[1]));
        return st != null && st.getParentId().equals(p[3]) && st.getReceiving();
    }

    private static String link(String stream, int stripe, String child, String parent) {
        return stream + "\u0000" + stripe + "\u0000" + child + "\u0000" + parent;
    }

    private void submit(Runnable task) {
        loop.execute(() -> guarded(task));
    }

    private void guarded(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.error("coordinator step failed", e);
        }
    }

    private <T> T call(Callable<T> task) {
        try {
            return loop.submit(task).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("coordinator did not answer: " + e.getMessage(), e);
        }
    }
}

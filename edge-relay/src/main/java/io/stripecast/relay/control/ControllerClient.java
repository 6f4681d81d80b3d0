package io.stripecast.relay.control;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.stripecast.protocol.v1.Assignments;
import io.stripecast.protocol.v1.ControlPlaneGrpc;
import io.stripecast.protocol.v1.ControllerMessage;
import io.stripecast.protocol.v1.Demand;
import io.stripecast.protocol.v1.DrainRequest;
import io.stripecast.protocol.v1.Hello;
import io.stripecast.protocol.v1.RelayMessage;
import io.stripecast.protocol.v1.Report;
import io.stripecast.protocol.v1.StreamAssignment;
import io.stripecast.protocol.v1.StreamParams;
import io.stripecast.protocol.v1.StreamRate;
import io.stripecast.protocol.v1.StripeChildren;
import io.stripecast.protocol.v1.StripeParent;
import io.stripecast.protocol.trust.LiveCredentials;
import io.stripecast.protocol.trust.GrpcTls;
import io.stripecast.protocol.trust.PeerIdentity;
import io.stripecast.protocol.v1.StripeStatus;
import io.stripecast.relay.net.Backoff;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.stream.StreamSpec;
import io.stripecast.relay.topology.AssignmentSource;
import io.stripecast.relay.topology.ParentRef;
import io.stripecast.relay.window.WindowEntry;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * The relay's control-plane session: hello, heartbeat reports, demand and drain up; assignments
 * down. When the controller goes away the relay keeps forwarding on its last assignments and
 * reconnects with backoff; on reconnect its reports let the new controller adopt the forest.
 */
public final class ControllerClient implements AssignmentSource {
    private static final Logger LOG = Logger.getLogger(ControllerClient.class);
    /** On-demand stream names kept from one Assignments at most (the controller sends no more). */
    static final int MAX_ANNOUNCED_ON_DEMAND = 256;

    /** What the relay tells the controller about itself. */
    public record Identity(String relayId, String dataAddress, String playbackUrl, String zone, double uplinkMbps, String pool,
                           boolean ingest) {
    }

    private final Identity identity;
    private final StreamRegistry streams;
    private final BiFunction<String, Integer, ParentRef> parentOf;
    private final ScheduledExecutorService timer;
    /** The address relays are configured with (in Kubernetes a Service over every controller replica). */
    private final String configuredAddress;
    /** Where the session goes now: the configured address, or the leader a standby redirected us to. */
    private String currentAddress;
    private ManagedChannel channel;
    private final Backoff backoff;
    private Consumer<Map<String, io.stripecast.relay.topology.StreamAssignment>> listener;
    private ClientCallStreamObserver<RelayMessage> session;
    private ScheduledFuture<?> heartbeat;
    private boolean draining;
    private boolean stopped;
    private volatile boolean assigned;
    /** On-demand streams the controller announced to this relay: the only names it may send a Demand for. */
    private volatile Set<String> onDemandStreams = Set.of();
    private final CompletableFuture<Integer> drainDone = new CompletableFuture<>();
    /** Mutual TLS towards the controller; empty in plaintext mode. */
    private final Optional<LiveCredentials> tls;
    /** "stream/stripe" -> the children the controller assigned this relay there: the only ones it serves. */
    private volatile Map<String, Set<String>> children = Map.of();
    /** Measured egress in all and to viewers, Mbit/s, sent with every report (the controller budgets uplinks). */
    private volatile java.util.function.DoubleSupplier egressMbps = () -> 0;
    private volatile java.util.function.DoubleSupplier playbackEgressMbps = () -> 0;

    public ControllerClient(String controllerAddress, Identity identity, StreamRegistry streams,
                            BiFunction<String, Integer, ParentRef> parentOf, ScheduledExecutorService timer,
                            Duration reconnectInitial, Duration reconnectMax) {
        this(controllerAddress, identity, streams, parentOf, timer, reconnectInitial, reconnectMax, Optional.empty());
    }

    public ControllerClient(String controllerAddress, Identity identity, StreamRegistry streams,
                            BiFunction<String, Integer, ParentRef> parentOf, ScheduledExecutorService timer,
                            Duration reconnectInitial, Duration reconnectMax, Optional<LiveCredentials> tls) {
        this.tls = tls;
        this.identity = identity;
        this.streams = streams;
        this.parentOf = parentOf;
        this.timer = timer;
        this.backoff = new Backoff(reconnectInitial, reconnectMax);
        this.configuredAddress = controllerAddress;
        this.currentAddress = controllerAddress;
        this.channel = channelTo(controllerAddress);
    }

    private ManagedChannel channelTo(String address) {
        NettyChannelBuilder b = NettyChannelBuilder.forTarget(address);
        if (tls.isPresent()) {
            // Whatever address we were given or redirected to, only a controller certificate of our CA is spoken to.
            b.sslContext(GrpcTls.client(tls.get(), PeerIdentity.CONTROLLER));
        } else {
            b.usePlaintext();
        }
        return b.maxInboundMessageSize(4 * 1024 * 1024)
                .keepAliveTime(10, TimeUnit.SECONDS).keepAliveTimeout(5, TimeUnit.SECONDS).build();
    }

    /** Where reports take the relay's measured egress from (RelayMetrics); none until set. */
    public void reportEgress(java.util.function.DoubleSupplier totalMbps, java.util.function.DoubleSupplier playbackMbps) {
        this.egressMbps = totalMbps;
        this.playbackEgressMbps = playbackMbps;
    }

    /** The address this relay's control session goes to now (for tests and logs). */
    public synchronized String currentAddress() {
        return currentAddress;
    }

    @Override
    public synchronized void start(Consumer<Map<String, io.stripecast.relay.topology.StreamAssignment>> listener) {
        this.listener = listener;
        connect();
    }

    @Override
    public boolean mayServe(String stream, int stripe, String childId) {
        // The controller names each parent's children in the same round of assignments that re-parents them; a child
        // that asks before its new parent heard of it is refused and retries after its backoff.
        Set<String> assigned = children.get(stream + "/" + stripe);
        return assigned != null && assigned.contains(childId);
    }

    @Override
    public boolean definesStreams() {
        return true;
    }

    /** True once the relay holds assignments from a controller (readiness). */
    public boolean hasAssignments() {
        return assigned;
    }

    /** True when the controller announced this stream as on-demand for this relay (Assignments.on_demand_streams). */
    public boolean announcedOnDemand(String stream) {
        return onDemandStreams.contains(stream);
    }

    public synchronized void demand(String stream, boolean join) {
        send(RelayMessage.newBuilder().setDemand(Demand.newBuilder().setStream(stream).setJoin(join)).build());
    }

    /** Asks the controller to move this relay's children; returns when it says they moved, or after the grace. */
    public void drain(Duration grace) {
        synchronized (this) {
            draining = true;
            send(RelayMessage.newBuilder().setDrain(DrainRequest.getDefaultInstance()).build());
        }
        try {
            int moved = drainDone.get(grace.toMillis(), TimeUnit.MILLISECONDS);
            LOG.infof("drained: the controller moved %d child link(s)", moved);
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.warnf("drain grace of %s ran out before the controller confirmed", grace);
        } catch (Exception e) {
            LOG.warnf("drain ended: %s", e.getMessage());
        }
    }

    public synchronized void stop() {
        stopped = true;
        if (heartbeat != null) {
            heartbeat.cancel(false);
        }
        if (session != null) {
            session.onCompleted();
        }
        channel.shutdownNow();
    }

    private synchronized void connect() {
        if (stopped) {
            return;
        }
        // The channel keeps its own reconnect backoff (growing to minutes) after failed attempts and fails
        // calls fast meanwhile; our backoff decides when to try, so a restarted controller is found at once.
        channel.resetConnectBackoff();
        ControlPlaneGrpc.newStub(channel).connect(new Receiver());
        send(RelayMessage.newBuilder().setHello(Hello.newBuilder()
                .setRelayId(identity.relayId())
                .setDataAddress(identity.dataAddress())
                .setPlaybackUrl(identity.playbackUrl())
                .setZone(identity.zone())
                .setUplinkMbps(identity.uplinkMbps())
                .setPool(identity.pool())
                .setIngest(identity.ingest())
                .setProtocolVersion(1)
                .setDraining(draining)).build());
        sendReport();
        if (draining) {
            send(RelayMessage.newBuilder().setDrain(DrainRequest.getDefaultInstance()).build());
        }
    }

    private synchronized void lost(Throwable why) {
        session = null;
        if (heartbeat != null) {
            heartbeat.cancel(false);
            heartbeat = null;
        }
        if (stopped) {
            return;
        }
        String leader = LeaderRedirect.from(why);
        if (leader != null && !leader.equals(currentAddress)) {
            // A standby controller answered: go straight to the leader it names.
            LOG.infof("controller at %s is a standby; the leader is %s", currentAddress, leader);
            switchTo(leader);
            timer.schedule(this::connect, 0, TimeUnit.MILLISECONDS);
            return;
        }
        if (!currentAddress.equals(configuredAddress)) {
            // The leader we were sent to is gone: ask the configured address (a Service) who leads now.
            switchTo(configuredAddress);
        }
        LOG.infof("controller session lost (%s); forwarding on the last assignments, reconnecting", why == null ? "closed" : why.getMessage());
        timer.schedule(this::connect, backoff.nextDelayMillis(), TimeUnit.MILLISECONDS);
    }

    private void switchTo(String address) {
        channel.shutdown();
        channel = channelTo(address);
        currentAddress = address;
    }

    private synchronized void send(RelayMessage message) {
        if (session != null) {
            try {
                session.onNext(message);
            } catch (RuntimeException e) {
                LOG.debugf("control message not sent: %s", e.getMessage());
            }
        }
    }

    private void sendReport() {
        send(RelayMessage.newBuilder().setReport(report()).build());
    }

    /** Per stream and stripe: the parent followed, whether it delivers, the newest sequence held. */
    Report report() {
        Report.Builder r = Report.newBuilder();
        long now = System.currentTimeMillis();
        for (StreamRuntime runtime : streams.all()) {
            String name = runtime.spec().name();
            List<WindowEntry> entries = runtime.window().snapshot();
            WindowEntry newest = entries.isEmpty() ? null : entries.get(entries.size() - 1);
            for (int stripe = 0; stripe < runtime.spec().stripes(); stripe++) {
                ParentRef parent = parentOf.apply(name, stripe);
                StripeStatus.Builder s = StripeStatus.newBuilder().setStream(name).setStripe(stripe)
                        .setReceiving(runtime.isRoot() || runtime.isReceiving(stripe))
                        .setLastSequence(runtime.window().lastSequence());
                if (parent != null) {
                    s.setParentId(parent.relayId());
                }
                if (newest != null) {
                    s.setLagMillis(Math.max(0, now - newest.meta().getIngestTimeMillis()));
                }
                r.addStripes(s);
            }
            r.addRates(StreamRate.newBuilder().setStream(name).setBitrateBps(bitrate(entries)));
            if (runtime.isRoot() || runtime.isStandbyIngest()) {
                // Only the public half: the controller hands it to the stream's relays, which verify with it.
                r.addIngestKeys(io.stripecast.protocol.v1.IngestKey.newBuilder().setStream(name)
                        .setPublicKey(com.google.protobuf.ByteString.copyFrom(runtime.signer().publicKey())));
            }
        }
        return r.setEgressBps(egressMbps.getAsDouble() * 1e6).setPlaybackEgressBps(playbackEgressMbps.getAsDouble() * 1e6)
                .build();
    }

    /**
     * The stream's bit rate over its window: every rendition's media bytes (whole segments and parts; a part's duration
     * is its own, so a segment sent as parts counts once) over the time they cover, the longest any one rendition's
     * media cover. The renditions of a ladder play side by side, so their bytes add up and their durations do not; a
     * stream without renditions gives the same figure as before.
     */
    static double bitrate(List<WindowEntry> entries) {
        long bytes = 0;
        long[] micros = new long[8];
        for (WindowEntry e : entries) {
            if (e.carriesMedia() && e.rendition() < micros.length) {
                bytes += e.meta().getLength();
                micros[e.rendition()] += e.meta().getDurationMicros();
            }
        }
        long covered = java.util.Arrays.stream(micros).max().orElse(0);
        return covered == 0 ? 0 : bytes * 8.0 * 1_000_000 / covered;
    }

    /** The stream's STUN/TURN servers as the LiveStream set them, or null for this relay's own settings. */
    private static StreamSpec.Ice ice(StreamParams p) {
        if (p.getMeshIceServersCount() == 0) {
            return null;
        }
        try {
            return new StreamSpec.Ice(p.getMeshIceServersList(), "relay".equals(p.getMeshIceTransportPolicy()), Optional.empty(),
                    Optional.empty(), p.getMeshTurnSecret().isEmpty() ? Optional.empty() : Optional.of(p.getMeshTurnSecret()),
                    Duration.ofSeconds(p.getMeshTurnTtlSeconds() == 0 ? 3600 : p.getMeshTurnTtlSeconds()));
        } catch (IllegalArgumentException e) {
            // The stream still plays; only its viewers' mesh falls back to this relay's own STUN/TURN settings.
            LOG.warnf("controller sent unusable ICE settings for stream %s: %s", p.getName(), e.getMessage());
            return null;
        }
    }

    private void onAssignments(Assignments a) {
        Map<String, io.stripecast.relay.topology.StreamAssignment> out = new TreeMap<>();
        Map<String, Set<String>> assignedChildren = new java.util.HashMap<>();
        for (StreamAssignment s : a.getStreamsList()) {
            for (StripeChildren c : s.getChildrenList()) {
                if (c.getStripe() < 32 && c.getChildIdsCount() <= 4096) {
                    assignedChildren.put(s.getParams().getName() + "/" + c.getStripe(), Set.copyOf(c.getChildIdsList()));
                }
            }
            StreamParams p = s.getParams();
            StreamSpec spec;
            try {
                spec = new StreamSpec(p.getName(), p.getK(), p.getM(), Duration.ofMillis(p.getWindowMillis()),
                        p.hasPublisherKeyVerifier() ? Optional.of(p.getPublisherKeyVerifier()) : Optional.empty(),
                        p.getPullUrl().isEmpty() ? Optional.empty() : Optional.of(p.getPullUrl()),
                        Duration.ofMillis(500), p.getOnDemand(),
                        p.getMeshMaxPeers() == 0 ? null : new StreamSpec.Mesh(p.getMeshEnabled(), p.getMeshMaxPeers(), ice(p)),
                        // A key out of bounds fails the whole stream here (not carried, logged): never an open stream instead.
                        p.getPlaybackSigningKey().isEmpty() ? null : new StreamSpec.PlaybackSigning(p.getPlaybackSigningKey()));
            } catch (IllegalArgumentException e) {
                LOG.warnf("controller sent unusable parameters for stream %s: %s", p.getName(), e.getMessage());
                continue;
            }
            List<ParentRef> parents = new ArrayList<>();
            for (int i = 0; i < spec.stripes(); i++) {
                parents.add(null);
            }
            for (StripeParent sp : s.getParentsList()) {
                if (sp.getStripe() < spec.stripes()) {
                    parents.set(sp.getStripe(), new ParentRef(sp.getParentId(), sp.getParentAddress()));
                }
            }
            // What verifies the stream's segments: the controller's list, whole (empty until the ingest reported its key).
            List<byte[]> keys = new ArrayList<>();
            s.getIngestPublicKeysList().forEach(k -> keys.add(k.toByteArray()));
            out.put(spec.name(), new io.stripecast.relay.topology.StreamAssignment(spec.name(), s.getRoot(), parents, spec,
                    s.getStandbyIngest(), io.stripecast.relay.trust.AcceptedKeys.of(keys)));
        }
        children = Map.copyOf(assignedChildren);
        Set<String> announced = new java.util.HashSet<>();
        for (String name : a.getOnDemandStreamsList()) {
            if (announced.size() < MAX_ANNOUNCED_ON_DEMAND && io.stripecast.protocol.Names.isStreamName(name)) {
                announced.add(name);
            }
        }
        onDemandStreams = Set.copyOf(announced);
        assigned = true;
        listener.accept(out);
        // Report at once, so the controller sees re-parented children confirm quickly (drain, repair).
        synchronized (this) {
            sendReport();
        }
    }

    private final class Receiver implements ClientResponseObserver<RelayMessage, ControllerMessage> {
        @Override
        public void beforeStart(ClientCallStreamObserver<RelayMessage> requestStream) {
            synchronized (ControllerClient.this) {
                session = requestStream;
            }
        }

        @Override
        public void onNext(ControllerMessage m) {
            switch (m.getBodyCase()) {
                case WELCOME -> {
                    synchronized (ControllerClient.this) {
                        backoff.reset();
                        long every = Math.max(100, m.getWelcome().getHeartbeatMillis());
                        if (heartbeat != null) {
                            heartbeat.cancel(false);
                        }
                        heartbeat = timer.scheduleAtFixedRate(ControllerClient.this::sendReport, every, every, TimeUnit.MILLISECONDS);
                    }
                    LOG.infof("registered with controller %s", m.getWelcome().getControllerId());
                }
                case ASSIGNMENTS -> onAssignments(m.getAssignments());
                case DRAIN_COMPLETE -> drainDone.complete(m.getDrainComplete().getChildrenMoved());
                default -> {
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            lost(t);
        }

        @Override
        public void onCompleted() {
            lost(null);
        }
    }
}

package io.stripecast.controller.control;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.stripecast.controller.registry.RelaySession;
import io.stripecast.protocol.ControlTrailers;
import io.stripecast.protocol.Names;
import io.stripecast.protocol.v1.ControlPlaneGrpc;
import io.stripecast.protocol.v1.ControllerMessage;
import io.stripecast.protocol.v1.Hello;
import io.stripecast.protocol.v1.RelayMessage;
import io.stripecast.protocol.v1.Report;
import io.stripecast.protocol.v1.StripeStatus;
import io.stripecast.protocol.trust.PeerIdentity;
import io.stripecast.protocol.trust.PeerIdentityInterceptor;


/**
 * The control plane's server side: checks every message a relay sends before it reaches the
 * coordinator. A malformed or hostile session ends with a status that says why; it cannot touch
 * the forests of other relays.
 */
public final class ControlPlaneService extends ControlPlaneGrpc.ControlPlaneImplBase {
    static final int MAX_ADDRESS = 255;
    static final double MAX_UPLINK_MBPS = 400_000;
    static final int MAX_REPORTED_STRIPES = 256 * 32;

    private final Coordinator coordinator;
    private final ControllerMetrics metrics;
    private final int maxMessagesPerSecond;
    private final int maxDemandsPerSecond;
    /** Mutual TLS: every session has a certificate identity, and the hello must agree with it. */
    private final boolean identityRequired;

    public ControlPlaneService(Coordinator coordinator, ControllerMetrics metrics, int maxMessagesPerSecond, int maxDemandsPerSecond) {
        this(coordinator, metrics, maxMessagesPerSecond, maxDemandsPerSecond, false);
    }

    public ControlPlaneService(Coordinator coordinator, ControllerMetrics metrics, int maxMessagesPerSecond, int maxDemandsPerSecond,
                               boolean identityRequired) {
        this.coordinator = coordinator;
        this.metrics = metrics;
        this.maxMessagesPerSecond = maxMessagesPerSecond;
        this.maxDemandsPerSecond = maxDemandsPerSecond;
        this.identityRequired = identityRequired;
    }

    @Override
    public StreamObserver<RelayMessage> connect(StreamObserver<ControllerMessage> responseObserver) {
        var out = (ServerCallStreamObserver<ControllerMessage>) responseObserver;
        return new Session(out, PeerAddress.host(), PeerIdentityInterceptor.current().orElse(null));
    }

    private final class Session implements StreamObserver<RelayMessage> {
        private final ServerCallStreamObserver<ControllerMessage> out;
        private final String peer;
        /** The certificate's identity; null in plaintext mode. */
        private final PeerIdentity identity;
        private String relayId;
        private boolean closed;
        private long windowStart = System.currentTimeMillis();
        private int inWindow;
        /** Demand tokens (a bucket of maxDemandsPerSecond, refilled continuously): viewers cause Demands. */
        private double demandTokens = maxDemandsPerSecond;
        private long demandRefilledNanos = System.nanoTime();

        Session(ServerCallStreamObserver<ControllerMessage> out, String peer, PeerIdentity identity) {
            this.out = out;
            this.peer = peer;
            this.identity = identity;
        }

        @Override
        public synchronized void onNext(RelayMessage m) {
            if (closed) {
                return;
            }
            metrics.message("in", m.getBodyCase().name().toLowerCase(), m.getSerializedSize());
            if (m.getBodyCase() == RelayMessage.BodyCase.DEMAND && relayId != null) {
                // Throttled, never cut off: a relay's Demands follow its viewers, and viewers must not disconnect it.
                if (!demandToken()) {
                    metrics.throttled("demand");
                    return;
                }
            } else if (flooding()) {
                refuse(Status.RESOURCE_EXHAUSTED.withDescription("more than " + maxMessagesPerSecond + " control messages per second"),
                        "flood");
                return;
            }
            if (relayId == null && m.getBodyCase() != RelayMessage.BodyCase.HELLO) {
                refuse(Status.FAILED_PRECONDITION.withDescription("the first message must be hello"), "no_hello");
                return;
            }
            switch (m.getBodyCase()) {
                case HELLO -> hello(m.getHello());
                case REPORT -> report(m.getReport());
                case DEMAND -> {
                    if (!Names.isStreamName(m.getDemand().getStream())) {
                        refuse(Status.INVALID_ARGUMENT.withDescription("bad stream name in demand"), "bad_stream_name");
                        return;
                    }
                    coordinator.demand(relayId, m.getDemand().getStream(), m.getDemand().getJoin());
                }
                case DRAIN -> coordinator.drain(relayId);
                default -> refuse(Status.INVALID_ARGUMENT.withDescription("empty control message"), "empty");
            }
        }

        private void hello(Hello h) {
            if (relayId != null) {
                refuse(Status.FAILED_PRECONDITION.withDescription("hello sent twice"), "second_hello");
                return;
            }
            String problem = problem(h);
            if (problem != null) {
                refuse(Status.INVALID_ARGUMENT.withDescription(problem), "bad_hello");
                return;
            }
            String mismatch = HelloIdentity.mismatch(h, identity, identityRequired);
            if (mismatch != null) {
                refuse(Status.PERMISSION_DENIED.withDescription(mismatch), "identity_mismatch");
                return;
            }
            if (!HelloIdentity.addressIsPeer(h.getDataAddress(), peer)) {
                refuse(Status.PERMISSION_DENIED.withDescription("data_address " + h.getDataAddress()
                        + " is not the address this relay connects from (" + peer + ")"), "address_mismatch");
                return;
            }
            if (!coordinator.isActive()) {
                // A standby: send the relay to the leader (named in the Lease), or let it retry the Service.
                String leader = coordinator.leaderAddress();
                Metadata trailers = new Metadata();
                if (leader != null) {
                    trailers.put(ControlTrailers.LEADER, leader);
                }
                refuse(Status.UNAVAILABLE.withDescription(leader == null ? "standby controller; no leader known yet"
                        : "standby controller; the leader is at " + leader), "standby", trailers);
                return;
            }
            RelaySession session = new RelaySession(h.getRelayId(), peer, h.getDataAddress(), h.getPlaybackUrl(), h.getZone(),
                    h.getUplinkMbps(), h.getPool(), h.getIngest(), h.getDraining(), out,
                    sent -> metrics.message("out", sent.getBodyCase().name().toLowerCase(), sent.getSerializedSize()),
                    System.currentTimeMillis());
            Status refusal = coordinator.hello(session);
            if (refusal != null) {
                refuse(refusal, "hello_refused");
                return;
            }
            relayId = h.getRelayId();
        }

        private void report(Report r) {
            if (r.getStripesCount() > MAX_REPORTED_STRIPES || r.getRatesCount() > 256 || r.getIngestKeysCount() > 256) {
                refuse(Status.INVALID_ARGUMENT.withDescription("report larger than 256 streams x 32 stripes"), "bad_report");
                return;
            }
            for (StripeStatus s : r.getStripesList()) {
                if (!Names.isStreamName(s.getStream()) || s.getStripe() >= 32
                        || (!s.getParentId().isEmpty() && !Names.isRelayId(s.getParentId()))) {
                    refuse(Status.INVALID_ARGUMENT.withDescription("malformed stripe status in report"), "bad_report");
                    return;
                }
            }
            for (var k : r.getIngestKeysList()) {
                if (!Names.isStreamName(k.getStream()) || k.getPublicKey().size() != 32) {
                    refuse(Status.INVALID_ARGUMENT.withDescription("malformed ingest key in report"), "bad_report");
                    return;
                }
            }
            coordinator.report(relayId, r, out);
        }

        private boolean demandToken() {
            long now = System.nanoTime();
            demandTokens = Math.min(maxDemandsPerSecond, demandTokens + (now - demandRefilledNanos) * maxDemandsPerSecond / 1e9);
            demandRefilledNanos = now;
            if (demandTokens < 1) {
                return false;
            }
            demandTokens -= 1;
            return true;
        }

        private boolean flooding() {
            long now = System.currentTimeMillis();
            if (now - windowStart >= 1000) {
                windowStart = now;
                inWindow = 0;
            }
            return ++inWindow > maxMessagesPerSecond;
        }

        private void refuse(Status status, String reason) {
            refuse(status, reason, null);
        }

        private void refuse(Status status, String reason, Metadata trailers) {
            metrics.rejected(reason);
            closed = true;
            try {
                out.onError(status.asRuntimeException(trailers));
            } catch (RuntimeException alreadyClosed) {
                // the stream ended concurrently
            }
            if (relayId != null) {
                coordinator.ended(relayId, out, reason);
            }
        }

        @Override
        public synchronized void onError(Throwable t) {
            end("stream broke: " + Status.fromThrowable(t).getCode());
        }

        @Override
        public synchronized void onCompleted() {
            end("stream closed");
            try {
                out.onCompleted();
            } catch (RuntimeException alreadyClosed) {
                // ended concurrently
            }
        }

        private void end(String why) {
            if (!closed) {
                closed = true;
                if (relayId != null) {
                    coordinator.ended(relayId, out, "stream");
                }
            }
        }
    }

    /** Validates a hello; null when it is fit. */
    static String problem(Hello h) {
        if (!Names.isRelayId(h.getRelayId())) {
            return "relay_id must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}";
        }
        if (h.getDataAddress().isEmpty() || h.getDataAddress().length() > MAX_ADDRESS || !h.getDataAddress().matches("[A-Za-z0-9.:\\[\\]_-]+:\\d{1,5}")) {
            return "data_address must be host:port";
        }
        if (h.getPlaybackUrl().length() > MAX_ADDRESS || h.getZone().length() > 64) {
            return "playback_url or zone too long";
        }
        if (!h.getPool().isEmpty() && !Names.isRelayId(h.getPool())) {
            return "pool must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}";
        }
        if (!(h.getUplinkMbps() > 0) || h.getUplinkMbps() > MAX_UPLINK_MBPS || Double.isNaN(h.getUplinkMbps())) {
            return "uplink_mbps must be in (0, " + (long) MAX_UPLINK_MBPS + "]";
        }
        if (h.getProtocolVersion() != 1) {
            return "protocol_version " + h.getProtocolVersion() + " is not spoken here (1 is)";
        }
        return null;
    }
}

package io.stripecast.controller.k8s;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.stripecast.protocol.v1.Assignments;
import io.stripecast.protocol.v1.ControlPlaneGrpc;
import io.stripecast.protocol.v1.ControllerMessage;
import io.stripecast.protocol.v1.Hello;
import io.stripecast.protocol.v1.RelayMessage;
import io.stripecast.protocol.v1.Report;

import java.util.concurrent.atomic.AtomicReference;

/** A relay's control session as a test drives it: hello with a pool, keep the newest assignments. */
final class FakeRelay implements StreamObserver<ControllerMessage> {
    final AtomicReference<Assignments> assignments = new AtomicReference<>();
    final AtomicReference<Status> end = new AtomicReference<>();
    private final StreamObserver<RelayMessage> out;

    FakeRelay(ManagedChannel channel, String id, String pool, boolean ingest, int dataPort) {
        out = ControlPlaneGrpc.newStub(channel).connect(this);
        out.onNext(RelayMessage.newBuilder().setHello(Hello.newBuilder().setRelayId(id).setDataAddress("127.0.0.1:" + dataPort)
                .setUplinkMbps(1000).setPool(pool).setIngest(ingest).setProtocolVersion(1)).build());
        out.onNext(RelayMessage.newBuilder().setReport(Report.getDefaultInstance()).build());
    }

    void close() {
        try {
            out.onCompleted();
        } catch (RuntimeException ignored) {
            // already ended
        }
    }

    @Override
    public void onNext(ControllerMessage m) {
        if (m.hasAssignments()) {
            assignments.set(m.getAssignments());
        }
    }

    @Override
    public void onError(Throwable t) {
        end.set(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
        end.set(Status.OK);
    }

    /** This relay's assignment for a stream, or null. */
    io.stripecast.protocol.v1.StreamAssignment assignment(String stream) {
        Assignments a = assignments.get();
        return a == null ? null : a.getStreamsList().stream().filter(s -> s.getParams().getName().equals(stream)).findFirst().orElse(null);
    }
}

package io.stripecast.relay.push;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.protocol.v1.ShardPushGrpc;
import io.stripecast.protocol.v1.ShardPushMessage;
import io.stripecast.protocol.v1.SubscribeRequest;
import io.stripecast.relay.FakeParentResource;
import io.stripecast.relay.RelayClient;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Malformed or out-of-range subscriptions get a status that says what is wrong; streams keep flowing. */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
class SubscribeBadInputTest {
    @Inject
    DataPlane dataPlane;
    @TestHTTPResource("/")
    URL base;

    private ManagedChannel channel;

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", dataPlane.grpcPort()).usePlaintext().build();
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private Status statusOf(SubscribeRequest request) {
        Iterator<ShardPushMessage> it = ShardPushGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).subscribe(request);
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, it::hasNext);
        assertThat(e).as("refused: %s", request).isNotNull();
        return e.getStatus();
    }

    private static SubscribeRequest.Builder request() {
        return SubscribeRequest.newBuilder().setStream("other").setStripe(0).setChildId("probe");
    }

    @Test
    void malformedStreamNameIsInvalidArgument() throws Exception {
        assertThat(statusOf(request().setStream("../etc").build()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        new RelayClient(base.toString()).assertOtherStreamFlows();
    }

    @Test
    void missingOrMalformedChildIdIsInvalidArgument() {
        assertThat(statusOf(request().setChildId("").build()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(statusOf(request().setChildId("x".repeat(200)).build()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void stripeOutOfRangeIsInvalidArgument() throws Exception {
        Status s = statusOf(request().setStripe(4).build());
        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).contains("not in [0, 4)");
        new RelayClient(base.toString()).assertOtherStreamFlows();
    }

    @Test
    void absurdSequenceIsInvalidArgument() {
        assertThat(statusOf(request().setFromSequence(Long.MAX_VALUE).build()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void unknownStreamIsNotFound() {
        assertThat(statusOf(request().setStream("nosuch").build()).getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    void aChildOfAnotherParentIsFailedPrecondition() {
        // In stream "fed" the topology makes fake-parent the parent of test-relay, not test-relay itself.
        assertThat(statusOf(request().setStream("fed").setChildId("test-relay").build()).getCode())
                .isEqualTo(Status.Code.FAILED_PRECONDITION);
    }

    @Test
    void aChildAskingForASequenceOlderThanTheWindowIsToldWhereItStarts() throws Exception {
        new RelayClient(base.toString()).assertOtherStreamFlows();
        Iterator<ShardPushMessage> it = ShardPushGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .subscribe(request().setFromSequence(1).build());
        ShardPushMessage first = it.next();
        assertThat(first.hasAccepted()).isTrue();
        assertThat(first.getAccepted().getWindowStart()).isGreaterThan(1);
        assertThat(first.getAccepted().getFirstSequence()).isEqualTo(first.getAccepted().getWindowStart());
        ShardPushMessage shard = it.next();
        assertThat(shard.getShard().getSegment().getSequence()).isEqualTo(first.getAccepted().getWindowStart());
    }
}

package io.stripecast.controller.control;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** Puts the caller's host into the call's context: a relay id is bound to the address that holds it. */
public final class PeerAddress implements ServerInterceptor {
    private static final Context.Key<String> HOST = Context.key("stripecast-peer-host");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        String host = remote instanceof InetSocketAddress inet ? inet.getAddress().getHostAddress() : "unknown";
        return Contexts.interceptCall(Context.current().withValue(HOST, host), call, headers, next);
    }

    public static String host() {
        String h = HOST.get();
        return h == null ? "unknown" : h;
    }
}

package io.stripecast.protocol.trust;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Puts the caller's certificate identity into the call's gRPC {@link Context}. With TLS required, a call whose
 * peer shows no stripecast identity ends here with UNAUTHENTICATED (the handshake already refused other CAs and
 * missing certificates); in plaintext mode (an explicit setting) calls pass without an identity.
 */
public final class PeerIdentityInterceptor implements ServerInterceptor {
    private static final Context.Key<PeerIdentity> IDENTITY = Context.key("stripecast-peer-identity");

    private final boolean required;
    private final Consumer<String> refused;

    /** @param refused told the reason word of each refused call, for a metric */
    public PeerIdentityInterceptor(boolean required, Consumer<String> refused) {
        this.required = required;
        this.refused = refused;
    }

    /** The identity of the peer of the current call; empty in plaintext mode. */
    public static Optional<PeerIdentity> current() {
        return Optional.ofNullable(IDENTITY.get());
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        PeerIdentity identity = identityOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        if (identity == null) {
            if (required) {
                refused.accept("no_identity");
                call.close(Status.UNAUTHENTICATED.withDescription("a client certificate with a stripecast identity is required"),
                        new Metadata());
                return new ServerCall.Listener<>() {
                };
            }
            return next.startCall(call, headers);
        }
        return Contexts.interceptCall(Context.current().withValue(IDENTITY, identity), call, headers, next);
    }

    private static PeerIdentity identityOf(SSLSession session) {
        if (session == null) {
            return null;
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? PeerIdentity.of(x).orElse(null) : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }
}

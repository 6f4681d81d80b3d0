package io.stripecast.protocol.trust;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;

import javax.net.ssl.SSLException;
import java.util.function.Predicate;

/**
 * TLS contexts for both gRPC planes. Servers require a client certificate from our CA (mutual TLS); clients present
 * theirs and accept only the server identity they meant to reach (the controller, or the parent the controller
 * assigned).
 */
public final class GrpcTls {
    private GrpcTls() {
    }

    /** A server that takes any identity our CA issued; what each identity may do is the service's check. */
    public static SslContext server(Credentials own) {
        try {
            return GrpcSslContexts.configure(SslContextBuilder.forServer(own.key(), own.certificate()))
                    .trustManager(new CaTrustManager(own.ca(), id -> true, "any stripecast identity"))
                    .clientAuth(ClientAuth.REQUIRE)
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the server TLS context: " + e.getMessage(), e);
        }
    }

    /**
     * As {@link #server(Credentials)}, presenting whatever certificate {@code own} holds at each handshake (renewal).
     * With {@code certificateOptional} a client may connect without a certificate (one our CA did not issue still
     * fails the handshake): the services that need an identity refuse such calls themselves (the control plane's
     * {@link PeerIdentityInterceptor}); only the Trust service, where a relay asks for its first certificate, takes them.
     */
    public static SslContext server(LiveCredentials own, boolean certificateOptional) {
        try {
            return GrpcSslContexts.configure(SslContextBuilder.forServer(own.keyManager()))
                    .trustManager(new CaTrustManager(own.trust(), id -> true, "any stripecast identity"))
                    .clientAuth(certificateOptional ? ClientAuth.OPTIONAL : ClientAuth.REQUIRE)
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the server TLS context: " + e.getMessage(), e);
        }
    }

    /** As {@link #client(Credentials, PeerIdentity)}, presenting whatever certificate {@code own} holds at each handshake. */
    public static SslContext client(LiveCredentials own, PeerIdentity expected) {
        return client(own, expected::equals, expected.toString());
    }

    /** As {@link #clientOfRelay(Credentials, String)}, presenting whatever certificate {@code own} holds at each handshake. */
    public static SslContext clientOfRelay(LiveCredentials own, String relayId) {
        return client(own, id -> !id.isController() && id.relayId().equals(relayId), "relay " + relayId);
    }

    private static SslContext client(LiveCredentials own, Predicate<PeerIdentity> accepts, String expected) {
        try {
            return GrpcSslContexts.forClient().trustManager(new CaTrustManager(own.trust(), accepts, expected))
                    .keyManager(own.keyManager()).build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the client TLS context: " + e.getMessage(), e);
        }
    }

    /** A client with no certificate of its own that accepts only the controller: a relay asking for its first one. */
    public static SslContext clientWithoutCertificate(java.security.cert.X509Certificate ca) {
        return client(new Credentials(null, null, ca), PeerIdentity.CONTROLLER::equals, PeerIdentity.CONTROLLER.toString());
    }

    /** As {@link #clientWithoutCertificate(java.security.cert.X509Certificate)}, trusting any CA of {@code trust} as it stands. */
    public static SslContext clientWithoutCertificate(TrustBundle trust) {
        try {
            return GrpcSslContexts.forClient().trustManager(new CaTrustManager(trust, PeerIdentity.CONTROLLER::equals,
                    PeerIdentity.CONTROLLER.toString())).build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the client TLS context: " + e.getMessage(), e);
        }
    }

    /** A client that presents {@code own} and accepts only a server whose identity is {@code expected}. */
    public static SslContext client(Credentials own, PeerIdentity expected) {
        return client(own, expected::equals, expected.toString());
    }

    /** As {@link #client(Credentials, PeerIdentity)}, for a relay id whatever its pool (a parent: ids are unique). */
    public static SslContext clientOfRelay(Credentials own, String relayId) {
        return client(own, id -> !id.isController() && id.relayId().equals(relayId), "relay " + relayId);
    }

    static SslContext client(Credentials own, Predicate<PeerIdentity> accepts, String expected) {
        try {
            SslContextBuilder b = GrpcSslContexts.forClient().trustManager(new CaTrustManager(own.ca(), accepts, expected));
            if (own.key() != null) {
                b.keyManager(own.key(), own.certificate());
            }
            return b.build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the client TLS context: " + e.getMessage(), e);
        }
    }
}

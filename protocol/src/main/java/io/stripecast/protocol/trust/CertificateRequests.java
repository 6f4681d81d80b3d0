package io.stripecast.protocol.trust;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.stripecast.protocol.v1.SignRequest;
import io.stripecast.protocol.v1.SignResponse;
import io.stripecast.protocol.v1.TrustGrpc;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The relay's side of {@code Trust.Sign} (docs/trust.md): a fresh key that never leaves the process, a PKCS#10
 * request signed by it, and the call to the controller over TLS that authenticates the controller only.
 */
public final class CertificateRequests {
    private CertificateRequests() {
    }

    /** A new P-256 key pair (the relay's own; only its public half travels, inside the request). */
    public static KeyPair newKeyPair() {
        try {
            return CertificateAuthority.newKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot create a key pair: " + e.getMessage(), e);
        }
    }

    /** A PKCS#10 request (DER) for {@code identity}, signed by {@code pair}'s private key. */
    public static byte[] csr(KeyPair pair, PeerIdentity identity) {
        try {
            ExtensionsGenerator ext = new ExtensionsGenerator();
            ext.addExtension(Extension.subjectAlternativeName, true,
                    new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, identity.uri())));
            return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + identity.relayId()), pair.getPublic())
                    .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()))
                    .getEncoded();
        } catch (IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot build a certificate request: " + e.getMessage(), e);
        }
    }

    /**
     * Asks the controller at {@code controller} (host:port) for a certificate of pod {@code pod} in pool {@code pool}.
     * Throws {@link io.grpc.StatusRuntimeException} when it refuses or cannot be reached.
     */
    public static Credentials request(String controller, X509Certificate ca, String pool, String pod, Duration deadline) {
        return request(controller, TrustBundle.of(ca), pool, pod, deadline);
    }

    /** As above, verifying the controller and the answer with any CA of {@code trust} (a CA roll). */
    public static Credentials request(String controller, TrustBundle trust, String pool, String pod, Duration deadline) {
        KeyPair pair = newKeyPair();
        PeerIdentity identity = PeerIdentity.relay(pool, pod);
        ManagedChannel channel = NettyChannelBuilder.forTarget(controller).sslContext(GrpcTls.clientWithoutCertificate(trust))
                .maxInboundMessageSize(64 * 1024).build();
        try {
            SignResponse r = TrustGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                    .sign(SignRequest.newBuilder().setPool(pool).setPod(pod).setCsr(ByteString.copyFrom(csr(pair, identity))).build());
            X509Certificate certificate = certificate(r.getCertificate().toByteArray());
            if (!certificate.getPublicKey().equals(pair.getPublic())) {
                throw new IllegalStateException("the controller returned a certificate for another key");
            }
            X509Certificate ca = trust.issuerOf(certificate).orElseThrow(() -> new GeneralSecurityException(
                    "signed by none of the " + trust.cas().size() + " trusted CA certificate(s)"));
            Credentials issued = new Credentials(pair.getPrivate(), certificate, ca);
            if (!issued.identity().equals(identity)) {
                throw new IllegalStateException("the controller issued " + issued.identity() + ", not " + identity);
            }
            return issued;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the controller's certificate answer is not one our CA issued: " + e.getMessage(), e);
        } finally {
            channel.shutdownNow();
        }
    }

    public static X509Certificate certificate(byte[] der) throws GeneralSecurityException {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }
}

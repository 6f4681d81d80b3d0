package io.stripecast.protocol.trust;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * Our own certificate authority (Strimzi's "cluster CA"): a P-256 key and a self-signed CA certificate that issues
 * leaf certificates whose only name is a {@link PeerIdentity} SAN URI. Peers trust this CA and nothing else.
 */
public final class CertificateAuthority {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Clocks of different machines disagree a little; a certificate valid only from "now" would be refused by some. */
    private static final Duration BACKDATE = Duration.ofMinutes(5);

    private final PrivateKey key;
    private final X509Certificate certificate;

    public CertificateAuthority(PrivateKey key, X509Certificate certificate) {
        this.key = key;
        this.certificate = certificate;
    }

    /** A new CA, valid for {@code validity}, named {@code CN=<name>}. */
    public static CertificateAuthority generate(String name, Duration validity) {
        try {
            KeyPair pair = newKeyPair();
            Instant now = Instant.now();
            X500Name subject = new X500Name("CN=" + name);
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(now.minus(BACKDATE)),
                    Date.from(now.plus(validity)), subject, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            return new CertificateAuthority(pair.getPrivate(), sign(b, pair.getPrivate()));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot create a CA: " + e.getMessage(), e);
        }
    }

    public static CertificateAuthority load(Path certPem, Path keyPem) throws IOException {
        return new CertificateAuthority(Pem.readKey(keyPem), Pem.readCertificate(certPem));
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public PrivateKey key() {
        return key;
    }

    /** A fresh key pair and its certificate for {@code identity}, valid for {@code validity}. */
    public Credentials issue(PeerIdentity identity, Duration validity) {
        try {
            KeyPair pair = newKeyPair();
            return new Credentials(pair.getPrivate(), issue(identity, pair.getPublic(), validity), certificate);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot create a key pair: " + e.getMessage(), e);
        }
    }

    /**
     * A certificate for a key someone else holds (a CSR's). Client and server authentication both: every relay is a
     * server to its children and a client to its parents and to the controller.
     */
    public X509Certificate issue(PeerIdentity identity, PublicKey publicKey, Duration validity) {
        try {
            Instant now = Instant.now();
            Instant notAfter = now.plus(validity);
            if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
                // Never outlive the issuer: the leaf would fail validation anyway once the CA expires.
                notAfter = certificate.getNotAfter().toInstant();
            }
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(), Date.from(now.minus(BACKDATE)),
                    Date.from(notAfter), new X500Name("CN=" + (identity.isController() ? "controller" : identity.relayId())), publicKey)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(new KeyPurposeId[]{KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                    .addExtension(Extension.subjectAlternativeName, true,
                            new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, identity.uri())))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(publicKey));
            return sign(b, key);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue a certificate for " + identity + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code ca.crt} and {@code ca.key} (owner-only) in {@code dir}. */
    public void write(Path dir) throws IOException {
        java.nio.file.Files.createDirectories(dir);
        Pem.writeCertificate(dir.resolve("ca.crt"), certificate);
        Pem.writeKey(dir.resolve("ca.key"), key);
    }

    static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer) throws GeneralSecurityException {
        try {
            ContentSigner s = new JcaContentSignerBuilder("SHA256withECDSA").build(signer);
            return new JcaX509CertificateConverter().getCertificate(b.build(s));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }
}

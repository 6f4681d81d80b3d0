package io.stripecast.protocol.trust;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/** PEM files in and out: certificates, and private keys as PKCS#8 (what Netty, OpenSSL and Kubernetes Secrets use). */
public final class Pem {
    /** A PEM certificate or key is a few KB; a bigger file is not one. */
    private static final long MAX_BYTES = 64 * 1024;

    private Pem() {
    }

    public static X509Certificate readCertificate(Path file) throws IOException {
        Object o = parse(file);
        if (!(o instanceof X509CertificateHolder holder)) {
            throw new IOException(file + " holds no PEM certificate");
        }
        try {
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (CertificateException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Every certificate of a PEM bundle (one or more, concatenated), in order. */
    public static List<X509Certificate> parseCertificates(byte[] pem, String what) throws IOException {
        if (pem.length > MAX_BYTES) {
            throw new IOException(what + " is larger than " + MAX_BYTES + " bytes: not a PEM certificate bundle");
        }
        List<X509Certificate> out = new ArrayList<>();
        try (PEMParser p = new PEMParser(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
            for (Object o = p.readObject(); o != null; o = p.readObject()) {
                if (!(o instanceof X509CertificateHolder holder)) {
                    throw new IOException(what + " holds something other than certificates");
                }
                out.add(new JcaX509CertificateConverter().getCertificate(holder));
            }
        } catch (CertificateException e) {
            throw new IOException(what + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new IOException(what + " holds no PEM certificate");
        }
        return out;
    }

    /** A private key from PEM text (PKCS#8 or a key pair). */
    public static PrivateKey parseKey(String pem) throws IOException {
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            return key(p.readObject(), "the PEM text");
        }
    }

    public static PrivateKey readKey(Path file) throws IOException {
        return key(parse(file), file.toString());
    }

    private static PrivateKey key(Object o, String file) throws IOException {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        if (o instanceof PrivateKeyInfo info) {
            return converter.getPrivateKey(info);
        }
        if (o instanceof PEMKeyPair pair) {
            return converter.getPrivateKey(pair.getPrivateKeyInfo());
        }
        throw new IOException(file + " holds no PEM private key");
    }

    public static void writeCertificate(Path file, X509Certificate certificate) throws IOException {
        Files.writeString(file, toPem(certificate), StandardCharsets.US_ASCII);
    }

    /** Owner-only permissions before any key byte is written. */
    public static void writeKey(Path file, PrivateKey key) throws IOException {
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(file);
        }
        Files.writeString(file, keyToPem(key), StandardCharsets.US_ASCII);
    }

    public static String toPem(X509Certificate certificate) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(certificate);
        }
        return out.toString();
    }

    public static String keyToPem(PrivateKey key) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(new JcaPKCS8Generator(key, null));
        }
        return out.toString();
    }

    private static Object parse(Path file) throws IOException {
        if (Files.size(file) > MAX_BYTES) {
            throw new IOException(file + " is larger than " + MAX_BYTES + " bytes: not a PEM certificate or key");
        }
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            return p.readObject();
        }
    }
}

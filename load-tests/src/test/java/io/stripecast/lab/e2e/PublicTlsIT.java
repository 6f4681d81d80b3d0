package io.stripecast.lab.e2e;

import io.stripecast.lab.cluster.FreePorts;
import io.stripecast.lab.cluster.Ffmpeg;
import io.stripecast.lab.cluster.HlsCheck;
import io.stripecast.lab.cluster.JavaService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 16, TLS on the public port: a packaged relay started with a certificate (Quarkus' {@code quarkus.http.ssl.*},
 * as the pool's TLS Secret would give it) serves ingest and playback over https only; curl and ffmpeg with the CA
 * play it and get every segment byte-identical, curl without the CA refuses the certificate, and plain http gets
 * no answer on that port (https alone listens on it, as in a pool's pods). The CA and the certificate are made here by openssl.
 */
class PublicTlsIT {
    private static final Path DIR = Path.of("target", "e2e", "public-tls");
    private static final String KEY = "tls-publisher-key-0123456789";
    private JavaService relay;

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
    }

    private static void run(Path log, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", cmd)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", String.join(" ", cmd), Files.readString(log)).isZero();
    }

    /** A CA, and a certificate it signed for localhost and 127.0.0.1. */
    private static void makeCertificates() throws Exception {
        Path log = DIR.resolve("openssl.log");
        run(log, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/CN=stripecast test CA", "-keyout", "ca.key", "-out", "ca.crt");
        run(log, "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr");
        Files.writeString(DIR.resolve("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        run(log, "openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", "san.ext", "-out", "server.crt");
    }

    private static HttpClient trustingTheCa() throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(DIR.resolve("ca.crt"))) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @Test
    void aRelayWithACertificateServesIngestAndPlaybackOverHttpsOnly() throws Exception {
        HlsCheck.deleteRecursively(DIR);
        Files.createDirectories(DIR);
        makeCertificates();
        Path origin = DIR.resolve("origin");
        Process ffmpeg = Ffmpeg.writeOrigin(Ffmpeg.source(Path.of("target", "e2e", "media")), 6, false, origin, DIR.resolve("ffmpeg.log"));
        assertThat(ffmpeg.waitFor(120, TimeUnit.SECONDS)).isTrue();
        List<String> expected = HlsCheck.localHashes(origin);
        assertThat(expected).hasSizeGreaterThanOrEqualTo(5);

        // One port for both, as in a pool's pods (the public port named http, 8080): with insecure requests disabled
        // only the https listener takes it.
        int https = FreePorts.next();
        relay = JavaService.relay("tls", https, FreePorts.next(), Map.of(
                "stripecast.streams.live.k", "2", "stripecast.streams.live.m", "1", "stripecast.streams.live.key", KEY,
                "quarkus.http.ssl-port", String.valueOf(https),
                "quarkus.http.ssl.certificate.files", DIR.resolve("server.crt").toAbsolutePath().toString(),
                "quarkus.http.ssl.certificate.key-files", DIR.resolve("server.key").toAbsolutePath().toString(),
                "quarkus.http.insecure-requests", "disabled"), DIR.resolve("logs")).awaitReady();
        String base = "https://localhost:" + https;
        HttpClient client = trustingTheCa();

        // Ingest over https: every segment, then the playlist (ended, so players stop at its end).
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(origin.resolve("index.m3u8"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                names.add(line.strip());
            }
        }
        for (String name : names) {
            HttpResponse<String> put = client.send(HttpRequest.newBuilder(URI.create(base + "/ingest/live/" + name))
                    .header("Authorization", "Bearer " + KEY).PUT(HttpRequest.BodyPublishers.ofFile(origin.resolve(name))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as("PUT %s over https", name).isEqualTo(201);
        }
        String playlist = Files.readString(origin.resolve("index.m3u8"));
        assertThat(playlist).contains("#EXT-X-ENDLIST");
        assertThat(client.send(HttpRequest.newBuilder(URI.create(base + "/ingest/live/index.m3u8")).header("Authorization", "Bearer " + KEY)
                .PUT(HttpRequest.BodyPublishers.ofString(playlist)).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(204);

        // Playback over https with the CA: every segment byte-identical (curl), and ffmpeg plays it through.
        Path curlLog = DIR.resolve("curl.log");
        await("the relay lists every segment").atMost(Duration.ofSeconds(30)).until(() -> {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/live/live/index.m3u8")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().lines().filter(l -> !l.isBlank() && !l.startsWith("#")).count() == expected.size()
                    && r.body().contains("#EXT-X-ENDLIST");
        });
        run(curlLog, "curl", "-sSf", "--cacert", "ca.crt", "-o", "served.m3u8", base + "/live/live/index.m3u8");
        List<String> served = new ArrayList<>();
        int i = 0;
        for (String uri : Files.readAllLines(DIR.resolve("served.m3u8"))) {
            if (uri.isBlank() || uri.startsWith("#")) {
                continue;
            }
            String out = "served-" + (i++) + ".ts";
            run(curlLog, "curl", "-sSf", "--cacert", "ca.crt", "-o", out, base + "/live/live/" + uri.strip());
            served.add(HlsCheck.sha256(Files.readAllBytes(DIR.resolve(out))));
        }
        assertThat(served).isEqualTo(expected);
        Path play = DIR.resolve("ffmpeg-play.log");
        int code = Ffmpeg.run(List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-ca_file", DIR.resolve("ca.crt").toString(),
                "-live_start_index", "0", "-i", base + "/live/live/index.m3u8", "-c", "copy", "-f", "null", "-"), play, 120);
        assertThat(code).as("ffmpeg playing over https: %s", Files.readString(play)).isZero();
        assertThat(Files.readString(play)).isBlank();

        // Without the CA the certificate is refused; plain http finds nothing on the public port.
        Process noCa = new ProcessBuilder("curl", "-sS", "-o", "/dev/null", base + "/live/live/index.m3u8").redirectErrorStream(true)
                .redirectOutput(DIR.resolve("curl-no-ca.log").toFile()).start();
        assertThat(noCa.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(noCa.exitValue()).as("curl without the CA").isEqualTo(60);
        Process plain = new ProcessBuilder("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                "http://localhost:" + relay.httpPort + "/live/live/index.m3u8").redirectErrorStream(true)
                .redirectOutput(DIR.resolve("curl-plain.log").toFile()).start();
        assertThat(plain.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(plain.exitValue()).as("plain http on the public port: %s", Files.readString(DIR.resolve("curl-plain.log"))).isNotZero();
        assertThat(Files.readString(DIR.resolve("curl-plain.log")).strip()).as("no http status at all (https alone listens)").endsWith("000");
    }
}

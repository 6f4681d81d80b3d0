package io.stripecast.relay;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** HTTP helpers against the relay under test, including the check that another stream still flows. */
public final class RelayClient {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    /** Upstream media sequence per stream, as one encoder per stream would number them. */
    private static final java.util.Map<String, AtomicLong> SEQUENCES = new java.util.concurrent.ConcurrentHashMap<>();

    private final String base;

    public RelayClient(String base) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    public HttpResponse<String> put(String path, String key, byte[] body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Sends a PUT over a raw socket, body in chunks (chunked encoding, or one declared length), and
     * returns the status line: the relay may answer and close before the body is all sent.
     */
    public String rawPut(String path, String key, java.util.List<byte[]> chunks, boolean chunked) throws IOException {
        URI uri = URI.create(base);
        try (java.net.Socket s = new java.net.Socket(uri.getHost(), uri.getPort())) {
            s.setSoTimeout(10_000);
            java.io.OutputStream out = s.getOutputStream();
            long total = chunks.stream().mapToLong(c -> c.length).sum();
            String head = "PUT " + path + " HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer " + key + "\r\n"
                    + (chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + total + "\r\n") + "\r\n";
            try {
                out.write(head.getBytes(StandardCharsets.US_ASCII));
                for (byte[] c : chunks) {
                    if (chunked) {
                        out.write((Integer.toHexString(c.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    }
                    out.write(c);
                    if (chunked) {
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                }
                if (chunked) {
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.flush();
            } catch (IOException closedByRelay) {
                // The relay answered and closed while we were still sending.
            }
            byte[] answer = s.getInputStream().readNBytes(12);
            return new String(answer, StandardCharsets.US_ASCII);
        }
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<byte[]> getBytes(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Publishes one more segment to stream {@code other} and waits until its playlist lists it. */
    public void assertOtherStreamFlows() throws Exception {
        byte[] segment = publishOther();
        await("stream other lists its newest segment").atMost(Duration.ofSeconds(10)).until(() -> {
            HttpResponse<String> r = get("/live/other/index.m3u8");
            if (r.statusCode() != 200) {
                return false;
            }
            String last = r.body().lines().filter(l -> !l.startsWith("#")).reduce((a, b) -> b).orElse("");
            HttpResponse<byte[]> seg = getBytes("/live/other/" + last);
            return seg.statusCode() == 200 && java.util.Arrays.equals(seg.body(), segment);
        });
    }

    /** Uploads one more segment of stream {@code other} and the playlist listing it, as an encoder does; returns its bytes. */
    public byte[] publishOther() throws Exception {
        return publish("other", "other-key-0123456789");
    }

    /** Uploads one more segment of {@code stream} and the playlist listing it, as an encoder does; returns its bytes. */
    public byte[] publish(String stream, String key) throws Exception {
        long n = SEQUENCES.computeIfAbsent(stream, s -> new AtomicLong()).incrementAndGet();
        String name = stream + n + ".ts";
        byte[] segment = (stream + "-segment-" + n).repeat(200).getBytes(StandardCharsets.UTF_8);
        assertThat(put("/ingest/" + stream + "/" + name, key, segment).statusCode()).isEqualTo(201);
        String playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:" + n + "\n#EXTINF:1.0,\n" + name + "\n";
        assertThat(put("/ingest/" + stream + "/index.m3u8", key, playlist.getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(204);
        return segment;
    }
}

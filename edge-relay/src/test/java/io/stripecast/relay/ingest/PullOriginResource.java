package io.stripecast.relay.ingest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Three HTTP servers on loopback for {@link PullIngestAttackTest}: the origin a stream pulls (reached as
 * {@code origin.test}, a name only {@link FakeDns} knows), a CDN host the settings allow ({@code cdn.test}), and an
 * "internal" service nobody may make the relay reach. The origin's playlist mixes legit segments with URIs and
 * redirects that point elsewhere.
 */
public class PullOriginResource implements QuarkusTestResourceLifecycleManager {
    static final int SEGMENTS = 6;
    /** The ladder stream's variants each list seg7.ts .. seg9.ts (an encoder's media sequence 7), then end. */
    static final int LADDER_FIRST = 7;
    static final int LADDER_SEGMENTS = 3;
    /** Every request path each server saw. */
    static final Queue<String> ORIGIN_SEEN = new ConcurrentLinkedQueue<>();
    static final Queue<String> CDN_SEEN = new ConcurrentLinkedQueue<>();
    static final Queue<String> INTERNAL_SEEN = new ConcurrentLinkedQueue<>();
    /** Bytes of every legit segment, in playlist order. */
    static final List<byte[]> LEGIT = new CopyOnWriteArrayList<>();

    private HttpServer origin;
    private HttpServer cdn;
    private HttpServer internal;

    static byte[] segment(String name) {
        return ("segment " + name + " ").repeat(300).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Map<String, String> start() {
        try {
            // On 127.0.0.2: loopback, outside the allowed 127.0.0.1/32, and listening, so a request that got there is seen.
            internal = server("127.0.0.2", INTERNAL_SEEN, ex -> reply(ex, 200, "internal secret".getBytes(StandardCharsets.UTF_8)));
            cdn = server("127.0.0.1", CDN_SEEN, ex -> reply(ex, 200, segment(ex.getRequestURI().getPath())));
            origin = server("127.0.0.1", ORIGIN_SEEN, this::origin);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        int o = origin.getAddress().getPort();
        int c = cdn.getAddress().getPort();
        int in = internal.getAddress().getPort();
        FakeDns.set("origin.test", "127.0.0.1");
        FakeDns.set("cdn.test", "127.0.0.1");
        // Allowed by name, but one of its addresses is the metadata service: refused as a whole.
        FakeDns.set("mixed.test", "127.0.0.1", "169.254.169.254");
        FakeDns.set("metadata.test", "169.254.169.254");
        // The origin's address and the metadata service in turn, one per lookup: only a poll that resolves once and
        // pins its connections to that answer fetches all of its segments.
        FakeDns.alternate("flip.test", "127.0.0.1", "169.254.169.254");
        // An internal service that listens: nothing may reach it.
        FakeDns.set("internal.test", "127.0.0.2");
        LEGIT.clear();
        for (int i = 0; i < SEGMENTS; i++) {
            LEGIT.add(segment("/seg" + i + ".ts"));
        }
        LEGIT.add(segment("/cdn0.ts"));
        LEGIT.add(segment("/seg-home.ts"));
        Path topology;
        try {
            // This relay is the root of the pulled streams (the shared profile's topology file names other streams only).
            topology = Files.createTempFile("stripecast-pull-topology", ".json");
            Files.writeString(topology, """
                    {"relays": {"test-relay": "127.0.0.1:1"},
                     "streams": {
                       "pulled":   {"root": "test-relay", "stripes": [{}, {}, {}]},
                       "metadata": {"root": "test-relay", "stripes": [{}, {}, {}]},
                       "literal":  {"root": "test-relay", "stripes": [{}, {}, {}]},
                       "flip":     {"root": "test-relay", "stripes": [{}, {}, {}]},
                       "named":    {"root": "test-relay", "stripes": [{}, {}, {}]},
                       "ladderpull": {"root": "test-relay", "stripes": [{}, {}, {}]}
                     }}
                    """);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return Map.ofEntries(
                Map.entry("stripecast.relay.topology-file", topology.toString()),
                Map.entry("stripecast.streams.pulled.k", "2"),
                Map.entry("stripecast.streams.pulled.m", "1"),
                Map.entry("stripecast.streams.pulled.pull-url", "http://origin.test:" + o + "/index.m3u8"),
                Map.entry("stripecast.streams.pulled.pull-interval", "200ms"),
                Map.entry("stripecast.streams.metadata.k", "2"),
                Map.entry("stripecast.streams.metadata.pull-url", "http://metadata.test/latest/meta-data/index.m3u8"),
                Map.entry("stripecast.streams.literal.k", "2"),
                Map.entry("stripecast.streams.literal.pull-url", "http://127.0.0.2:" + in + "/index.m3u8"),
                Map.entry("stripecast.streams.named.k", "2"),
                Map.entry("stripecast.streams.named.pull-url", "http://internal.test:" + in + "/index.m3u8"),
                Map.entry("stripecast.streams.flip.k", "2"),
                Map.entry("stripecast.streams.flip.pull-url", "http://flip.test:" + o + "/index.m3u8"),
                Map.entry("stripecast.streams.flip.pull-interval", "200ms"),
                Map.entry("stripecast.streams.ladderpull.k", "2"),
                Map.entry("stripecast.streams.ladderpull.m", "1"),
                Map.entry("stripecast.streams.ladderpull.pull-url", "http://origin.test:" + o + "/master.m3u8"),
                Map.entry("stripecast.streams.ladderpull.pull-interval", "200ms"),
                Map.entry("stripecast.pull.allowed-hosts", "cdn.test,mixed.test,metadata.test"),
                Map.entry("stripecast.pull.allowed-networks", "127.0.0.1/32"),
                Map.entry("stripecast.pull.timeout", "3s"),
                Map.entry("test.cdn-port", String.valueOf(c)));
    }

    private void origin(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        int o = origin.getAddress().getPort();
        int c = cdn.getAddress().getPort();
        int i = internal.getAddress().getPort();
        switch (path) {
            case "/index.m3u8" -> {
                StringBuilder p = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n");
                String[] uris = {
                    "seg0.ts",
                    "http://localhost:" + o + "/secret.ts",               // another origin, though the same server
                    "seg1.ts",
                    "http://169.254.169.254/latest/meta-data/iam.ts",    // the cloud's metadata service
                    "seg2.ts",
                    "http://10.0.0.1:" + o + "/internal.ts",             // a private address
                    "http://cdn.test:" + c + "/cdn0.ts",                // an allowed host: fetched
                    "http://mixed.test:" + c + "/mixed.ts",             // allowed by name, resolves to metadata too
                    "http://metadata.test/x.ts",                        // allowed by name, resolves to metadata
                    "seg3.ts",
                    "redirect-away.ts",                                 // 302 to the internal service
                    "redirect-home.ts",                                 // 302 within the origin: followed
                    "loop.ts",                                          // redirects forever
                    "huge.ts",                                          // over the segment bound
                    "file:///etc/passwd",
                    "seg4.ts",
                    "seg5.ts",
                };
                for (String u : uris) {
                    p.append("#EXTINF:1.0,\n").append(u).append('\n');
                }
                reply(ex, 200, p.toString().getBytes(StandardCharsets.UTF_8));
            }
            // A master: two variants in their own folders (segments named alike), one at the metadata service.
            case "/master.m3u8" -> reply(ex, 200, ("#EXTM3U\n"
                    + "#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS=\"avc1.64001e\"\nhi/index.m3u8\n"
                    + "#EXT-X-STREAM-INF:BANDWIDTH=100,RESOLUTION=64x36\nhttp://169.254.169.254/latest/v.m3u8\n"
                    + "#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=320x180,CODECS=\"avc1.64000c\"\nhi/../lo/index.m3u8\n")
                    .getBytes(StandardCharsets.UTF_8));
            case "/hi/index.m3u8", "/lo/index.m3u8" -> {
                StringBuilder p = new StringBuilder("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:" + LADDER_FIRST + "\n");
                for (int n = 0; n < LADDER_SEGMENTS; n++) {
                    p.append("#EXTINF:1.0,\nseg").append(LADDER_FIRST + n).append(".ts\n");
                }
                reply(ex, 200, p.append("#EXT-X-ENDLIST\n").toString().getBytes(StandardCharsets.UTF_8));
            }
            case "/redirect-away.ts" -> redirect(ex, "http://127.0.0.2:" + i + "/internal.ts");
            case "/redirect-home.ts" -> redirect(ex, "/seg-home.ts");
            case "/loop.ts" -> redirect(ex, "/loop.ts");
            case "/huge.ts" -> reply(ex, 200, new byte[2 * 1024 * 1024]);
            default -> {
                if (path.matches("(/hi|/lo)?/seg(\\d+|-home)\\.ts")) {
                    reply(ex, 200, segment(path));
                } else {
                    reply(ex, 404, new byte[0]);
                }
            }
        }
    }

    private static void redirect(HttpExchange ex, String location) throws IOException {
        ex.getResponseHeaders().add("Location", location);
        ex.sendResponseHeaders(302, -1);
        ex.close();
    }

    private static void reply(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
        ex.close();
    }

    private interface Handler {
        void handle(HttpExchange ex) throws IOException;
    }

    private static HttpServer server(String address, Queue<String> seen, Handler handler) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(address, 0), 0);
        s.createContext("/", ex -> {
            seen.add(ex.getRequestHeaders().getFirst("Host") + " " + ex.getRequestURI().getPath());
            try {
                handler.handle(ex);
            } catch (IOException e) {
                ex.close();
            }
        });
        s.start();
        return s;
    }

    @Override
    public void stop() {
        for (HttpServer s : new HttpServer[] {origin, cdn, internal}) {
            if (s != null) {
                s.stop(0);
            }
        }
    }
}

package io.stripecast.lab.tracker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stripecast.lab.cluster.FreePorts;
import io.stripecast.lab.cluster.JavaService;
import io.stripecast.lab.cluster.Placement;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the edge's tracker costs per viewer: one relay with the leaf mesh on, and N simulated viewers speaking the
 * WebTorrent announce protocol as p2p-media-loader's pages do (join with offers, answer the offers relayed to them,
 * re-announce with fresh offers every tracker interval, leave), with churn: every second some viewers leave and as many
 * new ones join. For each step of N it reports the relay's CPU per second (from /proc, after a warm-up at that size)
 * and its heap after a full GC, so the heap per viewer is the slope between steps. Not part of {@code mvn verify}.
 *
 * <pre>java -cp load-tests/target/benchmarks.jar io.stripecast.lab.tracker.TrackerLoad [steps=0,250,1000,2000] [churn=5] [seconds=40]</pre>
 */
public final class TrackerLoad {
    static final String STREAM = "mesh";
    static final String INFO_HASH = "0123456789abcdef0123";
    /** About the size of a Chromium data-channel offer with its ICE candidates gathered (WebTorrent sends no trickle). */
    static final String SDP = "v=0\r\n" + "a=x".repeat(330);
    static final ObjectMapper JSON = new ObjectMapper();

    final HttpClient http = HttpClient.newHttpClient();
    final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2);
    final Map<Integer, Viewer> viewers = new ConcurrentHashMap<>();
    final AtomicLong sent = new AtomicLong();
    final AtomicLong received = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final SplittableRandom random = new SplittableRandom(7);
    final String url;
    int nextId;

    TrackerLoad(String url) {
        this.url = url;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new java.util.HashMap<>();
        for (String arg : args) {
            String[] kv = arg.split("=", 2);
            a.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        List<Integer> steps = new ArrayList<>();
        for (String s : a.getOrDefault("steps", "0,250,1000,2000").split(",")) {
            steps.add(Integer.parseInt(s.trim()));
        }
        int churn = Integer.parseInt(a.getOrDefault("churn", "5"));
        int seconds = Integer.parseInt(a.getOrDefault("seconds", "40"));
        int max = steps.stream().mapToInt(Integer::intValue).max().orElse(0);
        Path dir = Path.of("target", "tracker-load");
        int httpPort = FreePorts.next();
        // One socket per viewer, all from loopback and in one swarm: the per-address cap and the swarm must admit them.
        try (JavaService relay = JavaService.relay("edge", Placement.LOOPBACK, httpPort, FreePorts.next(), Map.of(
                "stripecast.streams.mesh.k", "2", "stripecast.streams.mesh.m", "1", "stripecast.streams.mesh.window", "20s",
                "stripecast.streams.mesh.mesh.enabled", "true", "stripecast.streams.mesh.mesh.max-peers", "8",
                "stripecast.limits.max-swarm-peers", String.valueOf(max + 100),
                "stripecast.tracker.max-sockets-per-address", String.valueOf(max + 100)),
                dir.resolve("logs"), JavaService.STEADY).awaitReady()) {
            TrackerLoad load = new TrackerLoad("ws://127.0.0.1:" + httpPort + "/tracker/" + STREAM);
            double baseHeap = relay.heapAfterGc();
            System.out.printf(Locale.ROOT, "relay heap after GC with no viewers: %.1f MB%n", baseHeap / 1e6);
            System.out.println("viewers  churn/s  msgs in/s  msgs out/s  relay CPU ms/s  CPU us/msg  heap MB  heap/viewer KB  failures");
            for (int n : steps) {
                load.resize(n);
                load.runChurn(churn, seconds / 2); // warm-up at this size: JIT and steady swarms
                long cpu0 = relayCpuMillis(relay);
                long in0 = load.sent.get();
                long out0 = load.received.get();
                long t0 = System.nanoTime();
                load.runChurn(churn, seconds);
                double elapsed = (System.nanoTime() - t0) / 1e9;
                double cpuPerSecond = (relayCpuMillis(relay) - cpu0) / elapsed;
                double in = (load.sent.get() - in0) / elapsed;
                double out = (load.received.get() - out0) / elapsed;
                double heap = relay.heapAfterGc();
                System.out.printf(Locale.ROOT, "%7d  %7d  %9.0f  %10.0f  %14.1f  %10.1f  %7.1f  %14.2f  %8d%n", n, churn, in, out,
                        cpuPerSecond, in + out == 0 ? 0 : cpuPerSecond * 1000 / (in + out), heap / 1e6,
                        n == 0 ? 0 : (heap - baseHeap) / n / 1024, load.failures.get());
            }
            load.resize(0);
            load.timers.shutdownNow();
        }
        System.exit(0);
    }

    /** Opens or closes viewers until n are connected. */
    void resize(int n) throws Exception {
        while (viewers.size() < n) {
            join();
        }
        while (viewers.size() > n) {
            leaveOne();
        }
    }

    /** For {@code seconds}: each second {@code churn} viewers leave and as many join. */
    void runChurn(int churn, int seconds) throws Exception {
        for (int s = 0; s < seconds; s++) {
            long start = System.nanoTime();
            for (int i = 0; i < churn && !viewers.isEmpty(); i++) {
                leaveOne();
                join();
            }
            long rest = 1_000_000_000L - (System.nanoTime() - start);
            if (rest > 0) {
                TimeUnit.NANOSECONDS.sleep(rest); // pacing the offered load, not synchronising with the relay
            }
        }
    }

    void join() throws Exception {
        int id = nextId++;
        Viewer v = new Viewer(String.format(Locale.ROOT, "viewer-%014d", id));
        v.socket = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create(url + "?session=" + v.peerId + "-session"), v).get(10, TimeUnit.SECONDS);
        viewers.put(id, v);
        v.announce("started");
        // Re-announce with fresh offers at the tracker's interval (120 s), from a random phase.
        v.reannounce = timers.scheduleAtFixedRate(() -> v.announce(null), random.nextInt(120_000), 120_000, TimeUnit.MILLISECONDS);
    }

    void leaveOne() {
        Integer any = viewers.keySet().stream().skip(random.nextInt(viewers.size())).findFirst().orElse(null);
        Viewer v = any == null ? null : viewers.remove(any);
        if (v != null) {
            v.reannounce.cancel(false);
            v.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        }
    }

    static long relayCpuMillis(JavaService relay) {
        return Math.round(relay.cpuSeconds() * 1000);
    }

    /** One simulated page's tracker socket. */
    final class Viewer implements WebSocket.Listener {
        final String peerId;
        WebSocket socket;
        java.util.concurrent.ScheduledFuture<?> reannounce;
        private final StringBuilder partial = new StringBuilder();
        private int offers;

        Viewer(String peerId) {
            this.peerId = peerId;
        }

        synchronized void announce(String event) {
            ObjectNode m = JSON.createObjectNode().put("action", "announce").put("info_hash", INFO_HASH).put("peer_id", peerId)
                    .put("numwant", 8).put("uploaded", 0).put("downloaded", 0);
            if (event != null) {
                m.put("event", event);
            }
            var list = m.putArray("offers");
            for (int i = 0; i < 8; i++) {
                list.addObject().put("offer_id", peerId + "-" + offers++).putObject("offer").put("type", "offer").put("sdp", SDP);
            }
            send(m);
        }

        synchronized void send(ObjectNode m) {
            if (socket == null || socket.isOutputClosed()) {
                return;
            }
            socket.sendText(m.toString(), true).whenComplete((ws, e) -> {
                if (e != null) {
                    failures.incrementAndGet();
                }
            });
            sent.incrementAndGet();
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                received.incrementAndGet();
                try {
                    JsonNode m = JSON.readTree(partial.toString());
                    if (m.has("offer")) {
                        // Answer as a page does: to the offering peer, through the tracker.
                        send(JSON.createObjectNode().put("action", "announce").put("info_hash", INFO_HASH).put("peer_id", peerId)
                                .put("to_peer_id", m.path("peer_id").asText()).put("offer_id", m.path("offer_id").asText())
                                .set("answer", JSON.createObjectNode().put("type", "answer").put("sdp", SDP)));
                    } else if (m.has("failure reason")) {
                        failures.incrementAndGet();
                    }
                } catch (Exception e) {
                    failures.incrementAndGet();
                }
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            if (statusCode != WebSocket.NORMAL_CLOSURE) {
                failures.incrementAndGet();
            }
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            failures.incrementAndGet();
        }
    }
}

package io.stripecast.lab.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A network probe run inside a namespace ({@code ip netns exec NS java -cp test-classes ...LinkProbe}) by
 * {@link UserspaceLinkEmulatorTest}: commands on stdin, one answer line each on stdout, so the test drives
 * it outside the network it measures.
 *
 * <pre>
 * listen TCP UDP              a TCP echo server and a UDP counter (datagrams counted by batch)  -> ok
 * ping HOST PORT N            N 64-byte TCP round trips (TCP_NODELAY)       -> rtt MIN MEDIAN MAX (ms)
 * connect HOST PORT MS        a TCP connect with that timeout              -> ok | error ...
 * udp HOST PORT BATCH N       N datagrams tagged BATCH, 5,000 per second     -> sent N
 * count BATCH                 datagrams of BATCH received so far             -> count C
 * bulk HOST PORT BYTES        BYTES through the echo server and back         -> elapsed MS
 * </pre>
 */
public final class LinkProbe {
    private static final Map<String, AtomicLong> received = new ConcurrentHashMap<>();

    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String answer;
            try {
                answer = handle(line.strip().split("\\s+"));
            } catch (Exception e) {
                answer = "error " + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' ');
            }
            System.out.println(answer);
            System.out.flush();
        }
    }

    private static String handle(String[] a) throws Exception {
        return switch (a[0]) {
            case "listen" -> listen(Integer.parseInt(a[1]), Integer.parseInt(a[2]));
            case "ping" -> ping(a[1], Integer.parseInt(a[2]), Integer.parseInt(a[3]));
            case "connect" -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(a[1], Integer.parseInt(a[2])), Integer.parseInt(a[3]));
                }
                yield "ok";
            }
            case "udp" -> udp(a[1], Integer.parseInt(a[2]), a[3], Integer.parseInt(a[4]));
            case "count" -> "count " + received.computeIfAbsent(a[1], k -> new AtomicLong()).get();
            case "bulk" -> bulk(a[1], Integer.parseInt(a[2]), Integer.parseInt(a[3]));
            default -> throw new IllegalArgumentException("unknown command " + a[0]);
        };
    }

    private static String listen(int tcpPort, int udpPort) throws IOException {
        ServerSocket server = new ServerSocket(tcpPort);
        daemon(() -> {
            while (true) {
                Socket s = server.accept();
                s.setTcpNoDelay(true);
                daemon(() -> {
                    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        byte[] buf = new byte[65536];
                        for (int n; (n = in.read(buf)) > 0; ) {
                            out.write(buf, 0, n);
                        }
                    }
                });
            }
        });
        DatagramSocket udp = new DatagramSocket(udpPort);
        udp.setReceiveBufferSize(4 << 20);
        daemon(() -> {
            byte[] buf = new byte[2048];
            while (true) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                udp.receive(p);
                String text = new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII);
                received.computeIfAbsent(text.substring(0, Math.max(0, text.indexOf(':'))), k -> new AtomicLong()).incrementAndGet();
            }
        });
        return "ok";
    }

    private static String ping(String host, int port, int n) throws IOException {
        double[] ms = new double[n];
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 3000);
            s.setTcpNoDelay(true);
            s.setSoTimeout(5000);
            byte[] msg = new byte[64];
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < n; i++) {
                long t = System.nanoTime();
                out.write(msg);
                in.readNBytes(msg.length);
                ms[i] = (System.nanoTime() - t) / 1e6;
            }
        }
        Arrays.sort(ms);
        return String.format(Locale.ROOT, "rtt %.3f %.3f %.3f", ms[0], ms[n / 2], ms[n - 1]);
    }

    private static String udp(String host, int port, String batch, int n) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            InetSocketAddress to = new InetSocketAddress(host, port);
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                byte[] data = String.format(Locale.ROOT, "%s:%06d:%s", batch, i, "x".repeat(40)).getBytes(StandardCharsets.US_ASCII);
                s.send(new DatagramPacket(data, data.length, to));
                // Paced (not a synchronisation): no queue on the way should overflow, so only the emulator's loss counts.
                long due = start + (i + 1) * 200_000L;
                while (System.nanoTime() < due) {
                    LockSupport.parkNanos(due - System.nanoTime());
                }
            }
        }
        return "sent " + n;
    }

    private static String bulk(String host, int port, int bytes) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 3000);
            s.setSoTimeout(20_000);
            long t = System.nanoTime();
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    byte[] chunk = new byte[16384];
                    for (int sent = 0; sent < bytes; sent += chunk.length) {
                        out.write(chunk, 0, Math.min(chunk.length, bytes - sent));
                    }
                    out.flush();
                } catch (IOException e) {
                    // The reader below fails too.
                }
            });
            writer.start();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[65536];
            long got = 0;
            while (got < bytes) {
                int n = in.read(buf);
                if (n < 0) {
                    throw new IOException("echo closed after " + got + " bytes");
                }
                got += n;
            }
            writer.join();
            return String.format(Locale.ROOT, "elapsed %.1f", (System.nanoTime() - t) / 1e6);
        }
    }

    private interface Body {
        void run() throws Exception;
    }

    private static void daemon(Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Exception e) {
                // A closed socket ends the thread.
            }
        });
        t.setDaemon(true);
        t.start();
    }
}

package io.stripecast.relay.ingest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay between ffmpeg and the relay under test that forwards every byte as it comes (so chunking and timing are
 * ffmpeg's own) and, beside it, decodes each HTTP/1.1 request to keep what ffmpeg uploaded: the body of every PUT by file
 * name, in order of arrival. A test then compares what the relay published with exactly what ffmpeg sent.
 */
final class RecordingProxy implements AutoCloseable {
    /** One PUT as ffmpeg sent it. */
    record Upload(String file, byte[] body, long firstBodyByteMillis, long endMillis) {
    }

    private final ServerSocket server;
    private final int targetPort;
    final List<Upload> uploads = new CopyOnWriteArrayList<>();
    /** The status lines the relay answered, in order of arrival (for a failure's message). */
    final List<String> answers = new CopyOnWriteArrayList<>();
    private final Map<Socket, Boolean> sockets = new ConcurrentHashMap<>();

    RecordingProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::accept, "recording-proxy");
        accept.setDaemon(true);
        accept.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** The body of the last PUT of {@code file}, or null. */
    byte[] last(String file) {
        byte[] found = null;
        for (Upload u : uploads) {
            if (u.file().equals(file)) {
                found = u.body();
            }
        }
        return found;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket relay = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                sockets.put(client, true);
                sockets.put(relay, true);
                PipedOutputStream tapIn = new PipedOutputStream();
                PipedInputStream tap = new PipedInputStream(tapIn, 1 << 20);
                daemon(() -> pump(client, relay, tapIn));
                PipedOutputStream answerIn = new PipedOutputStream();
                PipedInputStream answer = new PipedInputStream(answerIn, 1 << 16);
                daemon(() -> pump(relay, client, answerIn));
                daemon(() -> statusLines(answer));
                daemon(() -> record(tap));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void daemon(Runnable r) {
        Thread t = new Thread(r, "recording-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void pump(Socket from, Socket to, OutputStream tap) {
        byte[] buf = new byte[16384];
        try (tap) {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                out.flush();
                if (tap != null) {
                    tap.write(buf, 0, n);
                    tap.flush();
                }
            }
        } catch (IOException ignored) {
            // One side went away: the other is closed below, as a proxy would.
        } finally {
            try {
                to.shutdownOutput();
            } catch (IOException ignored) {
                // Already closed.
            }
        }
    }

    private void statusLines(InputStream in) {
        try (in) {
            String l;
            while ((l = line(in)) != null) {
                if (l.startsWith("HTTP/1.")) {
                    answers.add(l);
                }
            }
        } catch (IOException ignored) {
            // The connection ended.
        }
    }

    /** Decodes the client's requests (keep-alive or not; Content-Length or chunked). */
    private void record(InputStream in) {
        try (in) {
            String requestLine;
            while ((requestLine = line(in)) != null) {
                if (requestLine.isEmpty()) {
                    continue;
                }
                String method = requestLine.split(" ")[0];
                String path = requestLine.split(" ")[1];
                boolean chunked = false;
                long length = 0;
                String h;
                while (!(h = line(in)).isEmpty()) {
                    String lower = h.toLowerCase();
                    if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                        chunked = true;
                    } else if (lower.startsWith("content-length:")) {
                        length = Long.parseLong(h.substring(h.indexOf(':') + 1).strip());
                    }
                }
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                long first = -1;
                if (chunked) {
                    long size;
                    while ((size = Long.parseLong(line(in).split(";")[0].strip(), 16)) > 0) {
                        byte[] chunk = in.readNBytes((int) size);
                        if (first < 0) {
                            first = System.currentTimeMillis();
                        }
                        body.write(chunk);
                        line(in);
                    }
                    while (!line(in).isEmpty()) {
                        // trailers
                    }
                } else {
                    body.write(in.readNBytes((int) length));
                    first = System.currentTimeMillis();
                }
                if (method.equals("PUT")) {
                    uploads.add(new Upload(path.substring(path.lastIndexOf('/') + 1), body.toByteArray(), first, System.currentTimeMillis()));
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // The connection ended mid-request: what was whole is recorded.
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                String s = b.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets.keySet()) {
            s.close();
        }
    }
}

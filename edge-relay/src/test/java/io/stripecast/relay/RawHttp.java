package io.stripecast.relay;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * HTTP by hand for attack tests: requests from a chosen local address (per-address limits need several clients on
 * one host) and WebSocket upgrades, which the JDK's HttpClient does not let a test shape.
 */
public final class RawHttp {
    private RawHttp() {
    }

    /** A socket to the relay's {@code port} on 127.0.0.1, bound to {@code localAddress} (any 127.x address works). */
    public static Socket connectFrom(String localAddress, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
        s.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** A WebSocket upgrade request for {@code pathAndQuery}, with an Origin header when {@code origin} is not null. */
    public static String upgradeRequest(String pathAndQuery, String host, String origin) {
        return "GET " + pathAndQuery + " HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n";
    }

    /** Sends {@code request} and reads the answer's status line and headers (up to the blank line). */
    public static String exchangeHead(Socket s, String request) throws IOException {
        s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            if (head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                break;
            }
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** The status code of a head read by {@link #exchangeHead}. */
    public static int status(String head) {
        return Integer.parseInt(head.split(" ")[1]);
    }

    /** An answer read by hand: its status line and headers (lower-cased) and its body. */
    public record Answer(String head, byte[] body) {
    }

    /**
     * GET {@code path} as a slow viewer does: through a 4 KiB socket receive buffer, 1500 bytes at a time, until the
     * relay closes the connection ({@code Connection: close}).
     */
    public static Answer getSlowly(String host, int port, String path) throws IOException {
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress(host, port), 5000);
            slow.setSoTimeout(10_000);
            slow.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = slow.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            byte[] small = new byte[1500];
            for (int n; (n = in.read(small)) >= 0; ) {
                all.write(small, 0, n);
            }
            byte[] answer = all.toByteArray();
            String text = new String(answer, StandardCharsets.ISO_8859_1);
            int bodyAt = text.indexOf("\r\n\r\n") + 4;
            return new Answer(text.substring(0, bodyAt).toLowerCase(java.util.Locale.ROOT), java.util.Arrays.copyOfRange(answer, bodyAt, answer.length));
        }
    }
}

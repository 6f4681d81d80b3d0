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
}

package io.stripecast.relay.ingest;

import io.stripecast.relay.RawHttp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A chunked PUT by hand, as ffmpeg's DASH muxer sends one: the test decides what each chunk holds and when it ends. */
final class ChunkedPut implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;

    ChunkedPut(int port, String localAddress, String path, String key) throws IOException {
        socket = RawHttp.connectFrom(localAddress, port);
        out = socket.getOutputStream();
        out.write(("PUT " + path + " HTTP/1.1\r\nHost: relay\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
                + (key == null ? "" : "Authorization: Bearer " + key + "\r\n") + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Sends one HTTP chunk; false when the relay already closed the connection. */
    boolean chunk(byte[] bytes, int from, int to) {
        try {
            out.write((Integer.toHexString(to - from) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes, from, to - from);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return true;
        } catch (IOException closedByRelay) {
            return false;
        }
    }

    void end() throws IOException {
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** The status code of the relay's answer, waiting up to {@code millis}; -1 when the connection closed without one. */
    int status(int millis) throws IOException {
        socket.setSoTimeout(millis);
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                line.write(b);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no answer within " + millis + " ms", e);
        } catch (IOException reset) {
            return -1;
        }
        String s = line.toString(StandardCharsets.US_ASCII);
        return s.startsWith("HTTP/1.1 ") ? Integer.parseInt(s.substring(9, 12)) : -1;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}

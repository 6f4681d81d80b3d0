package io.stripecast.lab.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The running userspace link emulator ({@code sclab-link}, see its source's header): one process, driven
 * over its stdin one command per line, each answered with {@code ok ...} or {@code error ...}. It exits
 * when its stdin closes, so it dies with this JVM, and its TUN devices with it.
 */
public final class LinkEmulator implements AutoCloseable {
    private static final String EOF = "\u0000eof";
    private static final long ANSWER_SECONDS = 10;

    private final Process process;
    private final OutputStream commands;
    private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();

    private LinkEmulator(Process process) {
        this.process = process;
        this.commands = process.getOutputStream();
        Thread reader = new Thread(this::readAnswers, "sclab-link-answers");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts the emulator (it needs root), its loss draws seeded with {@code seed}. */
    public static LinkEmulator start(Path binary, long seed) throws IOException {
        Process p = new ProcessBuilder(binary.toString(), Long.toUnsignedString(seed))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return new LinkEmulator(p);
    }

    /** A TUN named {@code ifname} in namespace {@code netns} (null: the host's), with that address and prefix, up. */
    public void add(String endpoint, String netns, String ifname, String cidr) throws IOException, InterruptedException {
        request(addCommand(endpoint, netns, ifname, cidr));
    }

    public void shape(String endpoint, LinkShape shape) throws IOException, InterruptedException {
        request(shapeCommand(endpoint, shape));
    }

    public void cut(String endpoint) throws IOException, InterruptedException {
        request("cut " + word(endpoint));
    }

    public void heal(String endpoint) throws IOException, InterruptedException {
        request("heal " + word(endpoint));
    }

    public LinkEmulatorStats stats() throws IOException, InterruptedException {
        return LinkEmulatorStats.parse(request("stats"));
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** CPU time the emulator has used so far, when the OS tells. */
    public java.util.Optional<java.time.Duration> cpu() {
        return process.info().totalCpuDuration();
    }

    static String addCommand(String endpoint, String netns, String ifname, String cidr) {
        return String.join(" ", "add", word(endpoint), netns == null ? "-" : word(netns), word(ifname), word(cidr));
    }

    /** Both links of the endpoint: {@code shape <endpoint> <delay_ms> <loss_percent> <rate_mbit>}, 0 = off. */
    static String shapeCommand(String endpoint, LinkShape s) {
        return String.join(" ", "shape", word(endpoint), LinkShape.num(s.delayMs()), LinkShape.num(s.lossPercent()),
                LinkShape.num(s.rateMbit()));
    }

    private static String word(String s) {
        if (s.isEmpty() || !s.matches("[A-Za-z0-9._/:-]+") || s.equals("-")) {
            throw new IllegalArgumentException("not a single word for the emulator: '" + s + "'");
        }
        return s;
    }

    /**
     * Sends one command; returns the lines before its {@code ok} (only {@code stats} has any), or throws with
     * the emulator's {@code error ...} text.
     */
    synchronized List<String> request(String command) throws IOException, InterruptedException {
        if (!process.isAlive()) {
            throw new IOException("the link emulator has exited (" + process.exitValue() + ")");
        }
        commands.write((command + "\n").getBytes(StandardCharsets.US_ASCII));
        commands.flush();
        List<String> lines = new ArrayList<>();
        for (;;) {
            String line = answers.poll(ANSWER_SECONDS, TimeUnit.SECONDS);
            if (line == null || line.equals(EOF)) {
                throw new IOException("the link emulator did not answer '" + command + "'" + (line == null ? " within " + ANSWER_SECONDS + " s" : ": it exited"));
            }
            if (line.equals("ok") || line.startsWith("ok ")) {
                return lines;
            }
            if (line.startsWith("error")) {
                throw new IOException("link emulator: '" + command + "': " + line);
            }
            lines.add(line);
        }
    }

    private void readAnswers() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII))) {
            for (String line; (line = r.readLine()) != null; ) {
                answers.add(line);
            }
        } catch (IOException e) {
            // The process is gone: EOF below.
        }
        answers.add(EOF);
    }

    /** Closes its stdin (it exits, and its TUNs vanish), and waits for it. */
    @Override
    public void close() {
        try {
            commands.close();
        } catch (IOException e) {
            // Already gone.
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}

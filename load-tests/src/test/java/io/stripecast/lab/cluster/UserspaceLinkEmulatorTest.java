package io.stripecast.lab.cluster;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * The userspace link emulator for real: two network namespaces ("a", "b") on a {@link TunNetwork}, a
 * {@link LinkProbe} in each, driven over its stdin. Needs root, gcc (or a fresh binary) and /dev/net/tun;
 * skipped otherwise. Correctness, not speed: a delay, loss, rate or cut that is not applied fails.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class UserspaceLinkEmulatorTest {
    private static final int TCP = 7000;
    private static final int UDP = 7001;

    private static TunNetwork net;
    private static Probe a;
    private static Probe b;
    private static String addressA;
    private static String addressB;

    @BeforeAll
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    static void twoNamespacesOnTheEmulator() throws Exception {
        assumeThat(NetnsNetwork.unavailableBecause()).as("network namespaces").isNull();
        LinkEmulatorBuild build = LinkEmulatorBuild.locate();
        assumeThat(build.unavailableBecause()).as("the userspace link emulator").isNull();
        net = TunNetwork.create(LinkShape.NONE, build, null);
        Placement pa = net.relay("a");
        Placement pb = net.relay("b");
        addressA = pa.host();
        addressB = pb.host();
        a = Probe.start(pa);
        b = Probe.start(pb);
        assertThat(a.ask("listen " + TCP + " " + UDP)).isEqualTo("ok");
        assertThat(b.ask("listen " + TCP + " " + UDP)).isEqualTo("ok");
    }

    @AfterAll
    static void removeEverything() throws Exception {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        if (net != null) {
            String hostTun = net.plan().hostTun();
            net.close();
            assertThat(Shell.runQuietly(List.of("ip", "link", "show", hostTun))).as("the host's TUN vanished with the emulator").isFalse();
            assertThat(Shell.output(List.of("ip", "netns", "list"))).doesNotContain(net.plan().namespace(0), net.plan().namespace(1));
        }
    }

    @BeforeEach
    void unshapedAndHealed() throws Exception {
        for (String relay : List.of("a", "b")) {
            net.heal(relay);
            net.shape(relay, LinkShape.NONE);
        }
    }

    @Test
    void tcpBetweenTwoNamespacesCrossesTheEmulator() throws Exception {
        long forwardedBefore = net.stats().get("b", "tx");
        double[] rtt = rtt(a.ask("ping " + addressB + " " + TCP + " 20"));
        assertThat(rtt[0]).as("unshaped RTT, ms").isLessThan(20);
        assertThat(net.stats().get("b", "tx") - forwardedBefore).as("packets the emulator delivered to b").isGreaterThanOrEqualTo(20);
        assertThat(net.notes()).anySatisfy(n -> assertThat(n).contains("packets forwarded"));
        System.out.printf("unshaped TCP RTT a<->b: min %.3f median %.3f max %.3f ms%n", rtt[0], rtt[1], rtt[2]);
    }

    @Test
    void twentyMillisecondsPerLinkAddsEightyToTheRoundTripBetweenTwoRelays() throws Exception {
        double[] before = rtt(a.ask("ping " + addressB + " " + TCP + " 10"));
        net.shape("a", new LinkShape(20, 0, 0));
        net.shape("b", new LinkShape(20, 0, 0));
        double[] after = rtt(a.ask("ping " + addressB + " " + TCP + " 10"));
        // a -> b crosses a's uplink and b's downlink, and back b's uplink and a's downlink: 4 x 20 ms.
        assertThat(after[0]).as("min RTT with 20 ms per link, ms").isGreaterThanOrEqualTo(80);
        // The minimum, not the median: a loaded CI machine may delay some pings, but none can come back sooner
        // than the delay allows, nor would the fastest of ten take 120 ms unless a link applied its delay twice.
        assertThat(after[0]).as("min RTT with 20 ms per link, ms: each delay applied once").isLessThan(80 + 40);
        assertThat(before[0]).as("min RTT unshaped, ms").isLessThan(20);
        System.out.printf("TCP RTT a<->b: unshaped min %.3f median %.3f ms; 20 ms per link: min %.3f median %.3f max %.3f ms%n",
                before[0], before[1], after[0], after[1], after[2]);
    }

    @Test
    void tenPercentLossOnALinkLosesAboutOneDatagramInTen() throws Exception {
        // UDP losses only: a TCP segment of an earlier test (a late FIN or ACK) may cross the lossy link too.
        long lostBefore = net.stats().get("a", "up_lost_udp");
        net.shape("a", new LinkShape(0, 10, 0));
        assertThat(a.ask("udp " + addressB + " " + UDP + " lossy 2000")).isEqualTo("sent 2000");
        net.shape("a", LinkShape.NONE);
        // Delivery is in order on a path: once the lossless marker is in, every earlier datagram is in or lost.
        assertThat(a.ask("udp " + addressB + " " + UDP + " marker1 1")).isEqualTo("sent 1");
        await().atMost(Duration.ofSeconds(5)).until(() -> count(b, "marker1") == 1);
        long received = count(b, "lossy");
        long lost = net.stats().get("a", "up_lost_udp") - lostBefore;
        assertThat(2000 - received).as("datagrams lost of 2000 at 10 %").isBetween(100L, 300L);
        assertThat(lost).as("the emulator's count of those losses").isEqualTo(2000 - received);
        System.out.printf("10 %% loss on a's uplink: %d of 2000 UDP datagrams lost (%.2f %%)%n", 2000 - received, (2000 - received) / 20.0);
    }

    @Test
    void cutDropsEverythingBothWaysAndHealRestoresIt() throws Exception {
        long cutBefore = net.stats().sum("cut_drops", null);
        net.cut("a");
        assertThat(a.ask("connect " + addressB + " " + TCP + " 1000")).startsWith("error");
        assertThat(a.ask("udp " + addressB + " " + UDP + " whilecut 200")).isEqualTo("sent 200");
        assertThat(b.ask("udp " + addressA + " " + UDP + " whilecut 200")).isEqualTo("sent 200");
        // Both batches reached the emulator and were dropped there: none can arrive later.
        await().atMost(Duration.ofSeconds(5)).until(() -> net.stats().sum("cut_drops", null) - cutBefore >= 400);
        assertThat(count(b, "whilecut")).isZero();
        assertThat(count(a, "whilecut")).isZero();

        net.heal("a");
        assertThat(a.ask("udp " + addressB + " " + UDP + " healed 200")).isEqualTo("sent 200");
        assertThat(b.ask("udp " + addressA + " " + UDP + " healed 200")).isEqualTo("sent 200");
        await().atMost(Duration.ofSeconds(5)).until(() -> count(b, "healed") == 200 && count(a, "healed") == 200);
        assertThat(rtt(a.ask("ping " + addressB + " " + TCP + " 5"))[0]).isLessThan(20);
    }

    @Test
    void aRateOfFourMegabitsBoundsTcpThroughput() throws Exception {
        double unshaped = elapsed(a.ask("bulk " + addressB + " " + TCP + " 500000"));
        net.shape("a", new LinkShape(0, 0, 4));
        double shaped = elapsed(a.ask("bulk " + addressB + " " + TCP + " 500000"));
        // 500 kB (plus headers) at 4 Mbit/s is at least 1 s, each way on its own link of a, pipelined.
        assertThat(shaped).as("ms for 500 kB through a at 4 Mbit/s").isBetween(1000.0, 5000.0);
        assertThat(unshaped).as("ms for 500 kB unshaped").isLessThan(shaped / 2);
        System.out.printf("500 kB echoed through a: unshaped %.0f ms, at 4 Mbit/s %.0f ms%n", unshaped, shaped);
    }

    private static long count(Probe p, String batch) throws Exception {
        String answer = p.ask("count " + batch);
        assertThat(answer).startsWith("count ");
        return Long.parseLong(answer.substring(6));
    }

    private static double[] rtt(String answer) {
        assertThat(answer).startsWith("rtt ");
        String[] p = answer.split(" ");
        return new double[] {Double.parseDouble(p[1]), Double.parseDouble(p[2]), Double.parseDouble(p[3])};
    }

    private static double elapsed(String answer) {
        assertThat(answer).startsWith("elapsed ");
        return Double.parseDouble(answer.substring(8));
    }

    /** A {@link LinkProbe} JVM in a namespace; its stdin and stdout are pipes, outside the emulated network. */
    private static final class Probe implements AutoCloseable {
        private final Process process;
        private final OutputStream in;
        private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();

        private Probe(Process process) {
            this.process = process;
            this.in = process.getOutputStream();
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        answers.add(line);
                    }
                } catch (IOException e) {
                    // Gone.
                }
            });
            t.setDaemon(true);
            t.start();
        }

        static Probe start(Placement place) throws Exception {
            Path classes = Path.of(LinkProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            List<String> cmd = new ArrayList<>(place.commandPrefix());
            cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1", "-Xmx64m",
                    "-cp", classes.toString(), LinkProbe.class.getName()));
            return new Probe(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
        }

        synchronized String ask(String command) throws Exception {
            in.write((command + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
            String answer = answers.poll(15, TimeUnit.SECONDS);
            assertThat(answer).as("answer to '%s'", command).isNotNull();
            return answer;
        }

        @Override
        public void close() throws Exception {
            in.close();
            process.destroy();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}

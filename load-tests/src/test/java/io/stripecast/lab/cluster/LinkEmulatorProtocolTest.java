package io.stripecast.lab.cluster;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LinkEmulatorProtocolTest {
    @Test
    void shapeCommandCarriesDelayLossAndRateWithZeroForOff() {
        assertThat(LinkEmulator.shapeCommand("r3", new LinkShape(10, 0.1, 50))).isEqualTo("shape r3 10 0.1 50");
        assertThat(LinkEmulator.shapeCommand("r3", new LinkShape(0, 0, 0.3))).isEqualTo("shape r3 0 0 0.3");
        assertThat(LinkEmulator.shapeCommand("j12", LinkShape.NONE)).isEqualTo("shape j12 0 0 0");
    }

    @Test
    void addCommandNamesTheHostNamespaceWithADash() {
        assertThat(LinkEmulator.addCommand("host", null, "sclabta1f0", "10.213.0.1/16")).isEqualTo("add host - sclabta1f0 10.213.0.1/16");
        assertThat(LinkEmulator.addCommand("r0", "sclab-a1f0-0", "scta1f00", "10.213.0.2/16"))
                .isEqualTo("add r0 sclab-a1f0-0 scta1f00 10.213.0.2/16");
    }

    @Test
    void wordsThatWouldBreakTheLineProtocolAreRefused() {
        assertThatThrownBy(() -> LinkEmulator.shapeCommand("r 3", LinkShape.NONE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LinkEmulator.shapeCommand("r3\nquit", LinkShape.NONE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LinkEmulator.addCommand("-", null, "x", "10.0.0.1/8")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void statsAreParsedPerEndpointAndSummedForTheReport() {
        LinkEmulatorStats s = LinkEmulatorStats.parse(List.of(
                "stat host rx=100 tx=90 cut_drops=0 unroutable=2 up_in=100 up_lost=0 up_queue_drops=0 down_in=95 down_lost=0 down_queue_drops=0",
                "stat r0 rx=50 tx=60 cut_drops=0 unroutable=0 up_in=50 up_lost=1 up_queue_drops=0 down_in=62 down_lost=2 down_queue_drops=0",
                "stat r1 rx=45 tx=40 cut_drops=7 unroutable=0 up_in=38 up_lost=0 up_queue_drops=3 down_in=50 down_lost=1 down_queue_drops=0"));
        assertThat(s.get("r0", "down_lost")).isEqualTo(2);
        assertThat(s.get("nobody", "tx")).isZero();
        assertThat(s.sum("tx", null)).isEqualTo(190);
        // Random loss on the relays' links only: 4 of 50 + 62 + 38 + 50 = 200.
        assertThat(s.lossRate(TunNetwork.HOST)).isEqualTo(0.02);
        assertThat(s.summary(TunNetwork.HOST))
                .contains("190 packets forwarded")
                .contains("dropped 4 at random (2.000 % of the 200 packets")
                .contains("3 at a link's queue limit")
                .contains("7 while cut (r1 7)")
                .contains("2 unroutable");
    }

    @Test
    void malformedStatLinesAreRefused() {
        assertThatThrownBy(() -> LinkEmulatorStats.parse(List.of("stats r0 rx=1"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LinkEmulatorStats.parse(List.of("stat r0 rx"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theBinaryIsRebuiltWhenMissingOrOlderThanItsSource() {
        FileTime t = FileTime.fromMillis(1_000_000);
        assertThat(LinkEmulatorBuild.stale(t, null)).isTrue();
        assertThat(LinkEmulatorBuild.stale(t, FileTime.fromMillis(999_999))).isTrue();
        assertThat(LinkEmulatorBuild.stale(t, t)).isFalse();
        assertThat(LinkEmulatorBuild.stale(t, FileTime.fromMillis(2_000_000))).isFalse();
        LinkEmulatorBuild b = new LinkEmulatorBuild(Path.of("src/main/c/sclab-link.c"), Path.of("target/sclab-link"));
        assertThat(b.gccCommand(Path.of("target/x"))).containsExactly("gcc", "-O2", "-Wall", "-o", "target/x", "src/main/c/sclab-link.c");
    }

    @Test
    void theEmulatorSourceIsFoundFromTheModule() {
        LinkEmulatorBuild b = LinkEmulatorBuild.locate();
        assertThat(b.source()).exists();
        assertThat(b.binary().toAbsolutePath().getParent().getFileName()).hasToString("target");
    }
}

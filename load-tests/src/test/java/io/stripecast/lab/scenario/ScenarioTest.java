package io.stripecast.lab.scenario;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScenarioTest {
    @Test
    void everyScenarioFileLoads() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(Path.of("scenarios"))) {
            files = s.filter(p -> p.toString().endsWith(".properties")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(6);
        for (Path f : files) {
            Scenario sc = Scenario.load(f);
            assertThat(sc.name()).as("%s names itself after its file", f).isEqualTo(f.getFileName().toString().replace(".properties", ""));
        }
    }

    @Test
    void relaysGetAHeapTwiceTheirWholeRunWindowUnlessTold() throws IOException {
        // 3.1 Mbit/s for 330 + 60 s, segments and 1.5x their size in shards: 378 MB; twice that in 64 MB steps, + 128.
        assertThat(load("seconds=330\nsource=pattern-3m\nk=2\nm=1\nrelay-jvm=steady\n").relayHeapMbOrSized()).isEqualTo(896);
        assertThat(load("seconds=30\nsource=pattern\n").relayHeapMbOrSized()).as("small runs keep the quick default").isEqualTo(192);
        assertThat(load("seconds=30\nrelay-jvm=steady\n").relayHeapMbOrSized()).isEqualTo(256);
        assertThat(load("seconds=330\nsource=pattern-3m\nrelay-heap-mb=300\n").relayHeapMbOrSized()).isEqualTo(300);
        assertThat(load("seconds=30\n").relayWindow()).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void defaultsAreTheOldScenarios() throws IOException {
        Scenario s = load("name=x\n");
        assertThat(s.relays()).isEqualTo(8);
        assertThat(s.ingestUplinkMbps()).isEqualTo(s.uplinkMbps());
        assertThat(s.heartbeat()).isEqualTo(Duration.ofMillis(500));
        assertThat(s.deadAfter()).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.ingestStarts()).isEqualTo("together");
        assertThat(s.network().netns()).isFalse();
        assertThat(s.network().linkEmulator()).isEqualTo("auto");
        assertThat(s.fault().kind()).isEqualTo("none");
        assertThat(s.source().kind()).isEqualTo("pattern");
        assertThat(s.baselineDepth()).isEqualTo(2);
    }

    @Test
    void overridesReplaceKeysOfTheFile() throws IOException {
        Path f = dir.resolve("y.properties");
        Files.writeString(f, "relays=8\ningest-starts=last\n");
        Scenario s = Scenario.load(f, java.util.Map.of("relays", "5", "ingest-starts", "together", "name", "try1"));
        assertThat(s.relays()).isEqualTo(5);
        assertThat(s.ingestStarts()).isEqualTo("together");
        assertThat(s.name()).isEqualTo("try1");
    }

    @Test
    void aWarmUpShorterThanTheRunIsTakenAndOtherwiseRefused() throws IOException {
        assertThat(load("name=x\n").warmupSegments()).isZero();
        assertThat(load("seconds=150\nwarmup-segments=60\n").warmupSegments()).isEqualTo(60);
        assertThatThrownBy(() -> load("seconds=30\nwarmup-segments=30\n")).hasMessageContaining("out-of-range");
        assertThatThrownBy(() -> load("warmup-segments=-1\n")).hasMessageContaining("out-of-range");
    }

    @Test
    void aClockFromASequenceIsBlindToTheSegmentsBeforeIt() {
        SegmentClock clock = SegmentClock.of(java.util.Map.of(0, 1000L, 1, 2000L, 2, 3000L), 100);
        SegmentClock figures = clock.from(101);
        assertThat(figures.finishedAt(100)).isEmpty();
        assertThat(figures.finishedAt(101)).hasValue(2000L);
        assertThat(figures.finishedAt(102)).hasValue(3000L);
        assertThat(clock.finishedAt(100)).hasValue(1000L);
    }

    @Test
    void durationsTakeTheQuarkusForms() {
        assertThat(Scenario.duration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Scenario.duration("1s")).isEqualTo(Duration.ofSeconds(1));
        assertThat(Scenario.duration("2.5s")).isEqualTo(Duration.ofMillis(2500));
        assertThatThrownBy(() -> Scenario.duration("3")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void settingsThatCannotWorkAreRefusedAtLoad() {
        assertThatThrownBy(() -> load("fault=partition\n")).hasMessageContaining("network=netns");
        assertThatThrownBy(() -> load("fault=slow-child\nslow-mode=rate\n")).hasMessageContaining("network=netns");
        assertThatThrownBy(() -> load("link-delay-ms=10\n")).hasMessageContaining("netns");
        assertThatThrownBy(() -> load("fault=meteor\n")).hasMessageContaining("unknown fault");
        assertThatThrownBy(() -> load("source=pattern\nstreams=3\n")).hasMessageContaining("one stream");
        assertThatThrownBy(() -> load("relay-jvm=turbo\n")).hasMessageContaining("relay-jvm");
        assertThatThrownBy(() -> load("ingest-starts=sometimes\n")).hasMessageContaining("ingest-starts");
        assertThatThrownBy(() -> load("network=netns\nlink-emulator=ebpf\n")).hasMessageContaining("link-emulator");
        assertThatThrownBy(() -> load("link-emulator=userspace\n")).hasMessageContaining("network=netns");
    }

    @Test
    void theLinkEmulatorCanBeForcedInNamespaces() throws IOException {
        assertThat(load("network=netns\nlink-emulator=userspace\n").network().linkEmulator()).isEqualTo("userspace");
        assertThat(load("network=netns\nlink-emulator=tc\n").network().linkEmulator()).isEqualTo("tc");
    }

    @TempDir
    Path dir;

    private Scenario load(String text) throws IOException {
        Path f = dir.resolve("x.properties");
        Files.writeString(f, text);
        return Scenario.load(f);
    }
}

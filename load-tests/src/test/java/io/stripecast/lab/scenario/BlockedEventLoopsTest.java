package io.stripecast.lab.scenario;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BlockedEventLoopsTest {
    @Test
    void countsBlockedThreadWarningsPerProcessLogAndListsOnlyThoseThatHaveSome(@TempDir Path logs) throws Exception {
        Files.writeString(logs.resolve("r0.log"), """
                12:13:49.290 INFO  [i.quarkus] started
                12:13:52.195 WARN  [i.v.c.i.BlockedThreadChecker] Thread Thread[vert.x-eventloop-thread-0,5,main] has been blocked for 2240 ms
                \tat com.fasterxml.jackson.databind.ser.BasicSerializerFactory.<clinit>(BasicSerializerFactory.java:98)
                12:14:02.001 WARN  [i.v.c.i.BlockedThreadChecker] Thread Thread[vert.x-eventloop-thread-1,5,main] has been blocked for 2100 ms
                """);
        Files.writeString(logs.resolve("r1.log"), "12:13:49.290 INFO  [i.quarkus] started\n");
        Files.writeString(logs.resolve("notes.txt"), "BlockedThreadChecker\n");

        Map<String, Long> blocked = BlockedEventLoops.count(logs);

        assertThat(blocked).containsExactly(Map.entry("r0", 2L));
    }
}

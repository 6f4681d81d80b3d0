package io.stripecast.relay.stream;

import org.junit.jupiter.api.Test;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** One wake-up runs every housekeeping task; a task that throws does not stop the others, and a stopped one stays stopped. */
class SecondTickTest {

    @Test
    void aFailingTaskNeitherStopsTheOthersNorItself() {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            SecondTick tick = new SecondTick(timer);
            AtomicInteger failing = new AtomicInteger();
            AtomicInteger healthy = new AtomicInteger();
            AtomicInteger stopped = new AtomicInteger();
            tick.add(() -> {
                failing.incrementAndGet();
                throw new IllegalStateException("broken housekeeping");
            });
            tick.add(healthy::incrementAndGet);
            Runnable stop = tick.add(stopped::incrementAndGet);
            tick.runAll();
            stop.run();
            tick.runAll();
            tick.runAll();
            assertThat(failing).hasValue(3);
            assertThat(healthy).hasValue(3);
            assertThat(stopped).hasValue(1);
        } finally {
            timer.shutdownNow();
        }
    }
}

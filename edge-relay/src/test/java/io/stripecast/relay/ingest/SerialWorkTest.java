package io.stripecast.relay.ingest;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A stream's commits run one at a time, in the order handed over, however many threads the pool has. */
class SerialWorkTest {
    @Test
    void tasksRunOneAtATimeInTheOrderHandedOverFromManyThreads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        ExecutorService submitters = Executors.newFixedThreadPool(4);
        try {
            SerialWork work = new SerialWork(pool);
            AtomicInteger inside = new AtomicInteger();
            AtomicInteger mostInside = new AtomicInteger();
            List<Integer> ran = new ArrayList<>();
            List<Integer> handedOver = new ArrayList<>();
            // Several publishers' threads hand tasks over; the order that counts is the order submit was called in.
            List<java.util.concurrent.Future<?>> all = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                all.add(submitters.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        synchronized (handedOver) {
                            int n = handedOver.size();
                            handedOver.add(n);
                            work.submit(() -> {
                                mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                                ran.add(n); // unsynchronised on purpose: one task at a time, or this list breaks
                                inside.decrementAndGet();
                            });
                        }
                    }
                }));
            }
            for (var f : all) {
                f.get();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                synchronized (work) {
                    return ran.size() == 2000;
                }
            });
            assertThat(mostInside.get()).isEqualTo(1);
            assertThat(ran).containsExactlyElementsOf(IntStream.range(0, 2000).boxed().toList());
        } finally {
            pool.shutdownNow();
            submitters.shutdownNow();
        }
    }

    @Test
    void aFailingTaskDoesNotStopTheOnesAfterIt() {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            SerialWork work = new SerialWork(pool);
            List<String> ran = java.util.Collections.synchronizedList(new ArrayList<>());
            work.submit(() -> {
                throw new IllegalStateException("a bad commit");
            });
            work.submit(() -> ran.add("next"));
            await().atMost(Duration.ofSeconds(5)).until(() -> ran.contains("next"));
        } finally {
            pool.shutdownNow();
        }
    }
}

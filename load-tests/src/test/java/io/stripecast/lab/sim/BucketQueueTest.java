package io.stripecast.lab.sim;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BucketQueueTest {

    @Test
    void popsInKeyOrderIncludingItemsPushedWhilePopping() {
        long seed = 51;
        SplittableRandom rnd = new SplittableRandom(seed);
        BucketQueue q = new BucketQueue(1000);
        for (int i = 0; i < 200; i++) {
            q.push(rnd.nextInt(500), i);
        }
        List<Integer> keys = new ArrayList<>();
        int it;
        int pushed = 200;
        while ((it = q.pop()) >= 0) {
            keys.add(q.key());
            if (pushed < 400) {
                q.push(q.key() + rnd.nextInt(400), pushed++); // later keys, as a hop adds latency
            }
        }
        assertThat(keys).as("seed %d", seed).hasSize(400).isSorted();
    }

    @Test
    void refusesKeysBehindTheCursorAndIsReusableAfterClear() {
        BucketQueue q = new BucketQueue(100);
        q.push(50, 7);
        assertThat(q.pop()).isEqualTo(7);
        assertThatThrownBy(() -> q.push(10, 8)).isInstanceOf(IllegalArgumentException.class);
        q.clear();
        q.push(10, 8);
        assertThat(q.pop()).isEqualTo(8);
        assertThat(q.pop()).isEqualTo(-1);
    }
}

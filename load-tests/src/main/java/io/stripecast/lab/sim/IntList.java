package io.stripecast.lab.sim;

import java.util.Arrays;

/** A growable array of ints: the simulation keeps millions of them and boxes none. */
final class IntList {
    int[] data;
    int size;

    IntList() {
        this(16);
    }

    IntList(int capacity) {
        data = new int[Math.max(4, capacity)];
    }

    void add(int v) {
        if (size == data.length) {
            data = Arrays.copyOf(data, data.length * 2);
        }
        data[size++] = v;
    }

    int get(int i) {
        return data[i];
    }

    /** Removes the element at {@code i} by moving the last one there (order is not kept). */
    void swapRemove(int i) {
        data[i] = data[--size];
    }

    int[] toArray() {
        return Arrays.copyOf(data, size);
    }

    /** Sorted copy. */
    int[] sorted() {
        int[] a = toArray();
        Arrays.sort(a);
        return a;
    }
}

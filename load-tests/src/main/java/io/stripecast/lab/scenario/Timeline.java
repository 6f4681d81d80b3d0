package io.stripecast.lab.scenario;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What happened when during a run, for the report; fault watchers write from their own threads. */
final class Timeline {
    /** A fault event drawn on the plots: wall-clock millis and what. */
    record Mark(long atMillis, String what) {
    }

    private final long t0 = System.currentTimeMillis();
    private final List<String> entries = new ArrayList<>();
    private final List<Mark> marks = new ArrayList<>();

    synchronized void note(String what) {
        entries.add(String.format(Locale.ROOT, "t+%.1fs %s", (System.currentTimeMillis() - t0) / 1000.0, what));
    }

    synchronized void mark(String what) {
        marks.add(new Mark(System.currentTimeMillis(), what));
        note(what);
    }

    synchronized List<String> entries() {
        return List.copyOf(entries);
    }

    /** Marks as [ms since {@code origin}, label]. */
    synchronized List<Object[]> marks(long origin) {
        return marks.stream().map(m -> new Object[]{m.atMillis() - origin, m.what()}).toList();
    }
}

package io.stripecast.lab.sim;

import java.util.Locale;

/** The five overlays the simulation compares, in the order of the report's columns. */
public enum Overlay {
    /** One tree (k=1, m=0) over every node, built and repaired by the real planner. */
    TREE("single tree"),
    /** k interior-disjoint stripe trees, no parity (m=0), built and repaired by the real planner. */
    FOREST("stripe forest"),
    /** k+m stripe trees; any k shards make the segment; orphaned interior nodes regenerate their stripe. */
    PARITY("forest + parity"),
    /** CoolStreaming-style: M partners, buffer maps every period, rarest-first pulls bounded by uplinks. */
    MESH("mesh"),
    /** A stripe forest (k+m) over a core of relays; the nodes are mesh leaves with fallback to their edge relay. */
    HYBRID("tree core + mesh leaves");

    private final String title;

    Overlay(String title) {
        this.title = title;
    }

    public String title() {
        return title;
    }

    public boolean isTree() {
        return this == TREE || this == FOREST || this == PARITY;
    }

    public static Overlay parse(String s) {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
    }

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }
}

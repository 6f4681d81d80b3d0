package io.stripecast.relay.ingest.cmaf;

/**
 * Reads what a part (one or more whole CMAF fragments) says about itself: how long it plays and whether it starts
 * with a sync sample, from its {@code moof}s' {@code tfhd} and {@code trun} boxes with the init's {@code trex} defaults.
 *
 * <ul>
 *   <li>A sample's duration is the trun's own (flag 0x100), else the tfhd's default (flag 0x08), else the trex's.</li>
 *   <li>The first sample's flags are the trun's first-sample-flags (0x04), else that sample's own flags (0x400), else
 *       the tfhd's default (0x20), else the trex's; it is a sync sample unless sample_is_non_sync_sample (0x10000) is
 *       set.</li>
 *   <li>Where it starts on the media timeline is the first {@code traf}'s {@code tfdt} (baseMediaDecodeTime, 32 or 64
 *       bits by its version), when it has one.</li>
 * </ul>
 */
public final class Fragments {
    static final long NON_SYNC_SAMPLE = 0x10000;
    /** Longer than any part or segment may last (the validator's bound for a segment is 600 s). */
    private static final long MAX_SECONDS = 600;

    /**
     * A part's duration in microseconds, whether it starts with a sync sample, and its start on the encoder's media
     * timeline in microseconds ({@link #NO_START} without a {@code tfdt}).
     */
    public record Timing(long durationMicros, boolean independent, long startMicros) {
        public boolean hasStart() {
            return startMicros != NO_START;
        }
    }

    public static final long NO_START = -1;

    private Fragments() {
    }

    public static Timing read(byte[] part, TrackInit track) throws CmafException {
        long ticks = 0;
        Long firstFlags = null;
        long startMicros = NO_START;
        boolean sawMoof = false;
        for (Box top : Box.children(part, 0, part.length)) {
            if (!top.type().equals("moof")) {
                continue;
            }
            Box traf = null;
            for (Box c : Box.children(part, top.bodyStart(), top.end())) {
                if (c.type().equals("traf")) {
                    if (traf != null) {
                        throw new CmafException("bad_fragment", "a moof with more than one traf (CMAF has one track per file)");
                    }
                    traf = c;
                }
            }
            if (traf == null) {
                throw new CmafException("bad_fragment", "a moof without a traf");
            }
            Box tfhd = traf.child(part, "tfhd");
            if (tfhd == null) {
                throw new CmafException("bad_fragment", "a traf without a tfhd");
            }
            boolean firstFragment = !sawMoof;
            sawMoof = true;
            Box tfdt = traf.child(part, "tfdt");
            if (firstFragment && tfdt != null) {
                startMicros = startMicros(part, tfdt, track);
            }
            long tfFlags = Box.u32(part, TrackInit.at(tfhd, 0, 4)) & 0xffffff;
            if (Box.u32(part, TrackInit.at(tfhd, 4, 4)) != track.trackId()) {
                throw new CmafException("bad_fragment", "a fragment of another track than its init's");
            }
            int o = 8;
            if ((tfFlags & 0x01) != 0) {
                o += 8;
            }
            if ((tfFlags & 0x02) != 0) {
                o += 4;
            }
            long defaultDuration = track.defaultSampleDuration();
            if ((tfFlags & 0x08) != 0) {
                defaultDuration = Box.u32(part, TrackInit.at(tfhd, o, 4));
                o += 4;
            }
            if ((tfFlags & 0x10) != 0) {
                o += 4;
            }
            long defaultFlags = track.defaultSampleFlags();
            if ((tfFlags & 0x20) != 0) {
                defaultFlags = Box.u32(part, TrackInit.at(tfhd, o, 4));
            }
            for (Box trun : Box.children(part, traf.bodyStart(), traf.end())) {
                if (!trun.type().equals("trun")) {
                    continue;
                }
                long flags = Box.u32(part, TrackInit.at(trun, 0, 4)) & 0xffffff;
                long count = Box.u32(part, TrackInit.at(trun, 4, 4));
                int r = 8;
                if ((flags & 0x01) != 0) {
                    r += 4;
                }
                Long firstSampleFlags = null;
                if ((flags & 0x04) != 0) {
                    firstSampleFlags = Box.u32(part, TrackInit.at(trun, r, 4));
                    r += 4;
                }
                int perSample = Long.bitCount(flags & 0xf00) * 4;
                // The count is checked against the bytes there before it drives a loop.
                if (count * perSample > trun.bodyLength() - r) {
                    throw new CmafException("bad_fragment", "a trun claims " + count + " samples it has no room for");
                }
                if (perSample == 0) {
                    // Every sample takes the defaults: no loop over a count that nothing bounds.
                    if (count > 0 && firstFlags == null) {
                        firstFlags = firstSampleFlags != null ? firstSampleFlags : defaultFlags;
                    }
                    long room = MAX_SECONDS * track.timescale() - ticks;
                    if (defaultDuration > 0 && count > room / defaultDuration) {
                        throw new CmafException("bad_fragment", "a part longer than " + MAX_SECONDS + " s");
                    }
                    ticks += count * defaultDuration;
                    continue;
                }
                for (long i = 0; i < count; i++) {
                    int s = r;
                    long duration = defaultDuration;
                    if ((flags & 0x100) != 0) {
                        duration = Box.u32(part, trun.bodyStart() + s);
                        s += 4;
                    }
                    if ((flags & 0x200) != 0) {
                        s += 4;
                    }
                    long sampleFlags = defaultFlags;
                    if ((flags & 0x400) != 0) {
                        sampleFlags = Box.u32(part, trun.bodyStart() + s);
                    }
                    if (firstFlags == null) {
                        firstFlags = firstSampleFlags != null ? firstSampleFlags : sampleFlags;
                    }
                    ticks += duration;
                    if (ticks > MAX_SECONDS * track.timescale()) {
                        throw new CmafException("bad_fragment", "a part longer than " + MAX_SECONDS + " s");
                    }
                    r += perSample;
                }
            }
        }
        if (!sawMoof) {
            throw new CmafException("bad_fragment", "a part without a moof");
        }
        if (ticks == 0 || firstFlags == null) {
            throw new CmafException("bad_fragment", "a part without samples or without duration");
        }
        long micros = ticks * 1_000_000 / track.timescale();
        if (micros == 0) {
            throw new CmafException("bad_fragment", "a part shorter than a microsecond");
        }
        return new Timing(micros, (firstFlags & NON_SYNC_SAMPLE) == 0, startMicros);
    }

    /** A tfdt's baseMediaDecodeTime in microseconds; a time too large for that (over ~292,000 years) is a lie. */
    private static long startMicros(byte[] part, Box tfdt, TrackInit track) throws CmafException {
        int version = part[TrackInit.at(tfdt, 0, 4)] & 0xff;
        long ticks = version == 1 ? Box.u64(part, TrackInit.at(tfdt, 4, 8)) : Box.u32(part, TrackInit.at(tfdt, 4, 4));
        if (ticks < 0 || ticks / track.timescale() > Long.MAX_VALUE / 1_000_000 - 1) {
            throw new CmafException("bad_fragment", "a tfdt beyond any media timeline");
        }
        return ticks / track.timescale() * 1_000_000 + ticks % track.timescale() * 1_000_000 / track.timescale();
    }
}

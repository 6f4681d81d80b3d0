package io.stripecast.relay.ingest.cmaf;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.stripecast.relay.ingest.cmaf.BoxCutterTest.box;
import static io.stripecast.relay.ingest.cmaf.BoxCutterTest.concat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Where a fragment's durations and first-sample flags come from when the trun leaves them out (tfhd defaults, then
 * the init's trex), on fragments built by hand to take each branch; and the lies a fragment may tell. Real ffmpeg
 * fragments are read in {@link BoxCutterTest}.
 */
class FragmentsTest {
    static final long NON_SYNC = 0x10000;
    static final long SYNC = 0x2000000;
    /** Track 1, timescale 1000, trex: 40 ms samples, non-sync by default. */
    static final TrackInit TRACK = new TrackInit(1, 1000, "vide", 40, NON_SYNC);

    @Test
    void durationsFromTheTrunWinOverEveryDefault() throws Exception {
        byte[] part = fragment(tfhd(1, 0x08, 99), trun(0x100, 3, null, new long[][]{{10}, {20}, {30}}));
        assertThat(Fragments.read(part, TRACK).durationMicros()).isEqualTo(60_000);
    }

    @Test
    void aPartStartsWhereItsFirstTfdtSays() throws Exception {
        byte[] v0 = concat(box("moof", concat(box("mfhd", new byte[8]), box("traf", concat(tfhd(1, 0), tfdt(0, 2_500), trun(0, 2, null, null))))),
                box("mdat", new byte[16]));
        assertThat(Fragments.read(v0, TRACK).startMicros()).as("version 0: 32 bits of ticks at 1000 a second").isEqualTo(2_500_000);
        byte[] v1 = concat(box("moof", concat(box("mfhd", new byte[8]), box("traf", concat(tfhd(1, 0), tfdt(1, 5_000_000_001L), trun(0, 2, null, null))))),
                box("mdat", new byte[16]));
        assertThat(Fragments.read(v1, TRACK).startMicros()).as("version 1: 64 bits").isEqualTo(5_000_000_001_000L);
        byte[] two = concat(v0, v1);
        assertThat(Fragments.read(two, TRACK).startMicros()).as("a part of two fragments starts with the first").isEqualTo(2_500_000);
        Fragments.Timing none = Fragments.read(fragment(tfhd(1, 0), trun(0, 2, null, null)), TRACK);
        assertThat(none.hasStart()).as("no tfdt: no start").isFalse();
        byte[] lie = concat(box("moof", concat(box("mfhd", new byte[8]), box("traf", concat(tfhd(1, 0), tfdt(1, -1L), trun(0, 2, null, null))))),
                box("mdat", new byte[16]));
        assertThatThrownBy(() -> Fragments.read(lie, TRACK)).isInstanceOf(CmafException.class).hasMessageContaining("tfdt");
    }

    @Test
    void durationsFromTheTfhdDefaultThenTheTrex() throws Exception {
        assertThat(Fragments.read(fragment(tfhd(1, 0x08, 25), trun(0, 4, null, null)), TRACK).durationMicros()).isEqualTo(100_000);
        assertThat(Fragments.read(fragment(tfhd(1, 0), trun(0, 4, null, null)), TRACK).durationMicros()).isEqualTo(160_000);
    }

    @Test
    void firstSampleFlagsWinThenTheSamplesOwnThenTfhdThenTrex() throws Exception {
        // trun first-sample-flags say sync although every default says otherwise.
        assertThat(Fragments.read(fragment(tfhd(1, 0x20, NON_SYNC), trun(0x04 | 0x400, 2, SYNC, new long[][]{{NON_SYNC}, {NON_SYNC}})),
                TRACK).independent()).isTrue();
        // The first sample's own flags.
        assertThat(Fragments.read(fragment(tfhd(1, 0x20, NON_SYNC), trun(0x400, 2, null, new long[][]{{SYNC}, {NON_SYNC}})),
                TRACK).independent()).isTrue();
        assertThat(Fragments.read(fragment(tfhd(1, 0x20, SYNC), trun(0x400, 2, null, new long[][]{{NON_SYNC}, {SYNC}})),
                TRACK).independent()).isFalse();
        // The tfhd's default, then the trex's.
        assertThat(Fragments.read(fragment(tfhd(1, 0x20, SYNC), trun(0, 2, null, null)), TRACK).independent()).isTrue();
        assertThat(Fragments.read(fragment(tfhd(1, 0), trun(0, 2, null, null)), TRACK).independent()).isFalse();
        assertThat(Fragments.read(fragment(tfhd(1, 0), trun(0, 2, null, null)), new TrackInit(1, 1000, "vide", 40, 0)).independent()).isTrue();
    }

    @Test
    void twoFragmentsInOnePartAddUp() throws Exception {
        byte[] one = fragment(tfhd(1, 0), trun(0, 5, null, null));
        assertThat(Fragments.read(concat(one, one), TRACK).durationMicros()).isEqualTo(400_000);
    }

    @Test
    void aTrunClaimingMoreSamplesThanItHoldsIsRefused() {
        byte[] part = fragment(tfhd(1, 0), trun(0x100, 1_000_000, null, new long[][]{{10}}));
        assertThatThrownBy(() -> Fragments.read(part, TRACK)).extracting(e -> ((CmafException) e).reason()).isEqualTo("bad_fragment");
    }

    @Test
    void aHugeCountOfDefaultSamplesIsRefusedWithoutLoopingOverIt() {
        byte[] part = fragment(tfhd(1, 0), trun(0, 0xffff_ffffL, null, null));
        assertThatThrownBy(() -> Fragments.read(part, TRACK)).extracting(e -> ((CmafException) e).reason()).isEqualTo("bad_fragment");
    }

    @Test
    void aFragmentOfAnotherTrackOrWithoutSamplesIsRefused() {
        assertThatThrownBy(() -> Fragments.read(fragment(tfhd(2, 0), trun(0, 1, null, null)), TRACK))
                .extracting(e -> ((CmafException) e).reason()).isEqualTo("bad_fragment");
        assertThatThrownBy(() -> Fragments.read(fragment(tfhd(1, 0), trun(0, 0, null, null)), TRACK))
                .extracting(e -> ((CmafException) e).reason()).isEqualTo("bad_fragment");
        assertThatThrownBy(() -> Fragments.read(box("mdat", new byte[4]), TRACK))
                .extracting(e -> ((CmafException) e).reason()).isEqualTo("bad_fragment");
    }

    @Test
    void aBoxWhoseSizeRunsPastItsParentIsRefused() {
        byte[] part = fragment(tfhd(1, 0), trun(0, 1, null, null));
        ByteBuffer.wrap(part).putInt(8 + 16, 10_000); // after moof header and mfhd: the traf claims more than the moof holds
        assertThatThrownBy(() -> Fragments.read(part, TRACK)).extracting(e -> ((CmafException) e).reason()).isEqualTo("bad_box");
    }

    @Test
    void anInitWithoutExactlyOneTrackIsRefused() {
        assertThatThrownBy(() -> TrackInit.parse(box("ftyp", new byte[8]))).extracting(e -> ((CmafException) e).reason()).isEqualTo("bad_init");
        assertThatThrownBy(() -> TrackInit.parse(box("moov", concat(box("trak", new byte[0]), box("trak", new byte[0])))))
                .extracting(e -> ((CmafException) e).reason()).isEqualTo("bad_init");
    }

    /** moof(mfhd, traf(tfhd, trun)) + mdat. */
    static byte[] fragment(byte[] tfhd, byte[] trun) {
        return concat(box("moof", concat(box("mfhd", new byte[8]), box("traf", concat(tfhd, trun)))), box("mdat", new byte[16]));
    }

    /** tfdt of the given version (0: 32-bit, 1: 64-bit baseMediaDecodeTime). */
    static byte[] tfdt(int version, long ticks) {
        ByteBuffer b = ByteBuffer.allocate(version == 1 ? 12 : 8);
        b.putInt(version << 24);
        if (version == 1) {
            b.putLong(ticks);
        } else {
            b.putInt((int) ticks);
        }
        return box("tfdt", b.array());
    }

    /** tfhd with the given flags; values in flag order (0x08 duration, 0x20 flags; 0x01/0x02/0x10 not used here). */
    static byte[] tfhd(long trackId, int flags, long... values) {
        ByteBuffer b = ByteBuffer.allocate(8 + 4 * values.length);
        b.putInt(flags).putInt((int) trackId);
        for (long v : values) {
            b.putInt((int) v);
        }
        return box("tfhd", b.array());
    }

    /** trun with the given flags, count, optional first-sample-flags and per-sample fields. */
    static byte[] trun(int flags, long count, Long firstSampleFlags, long[][] samples) {
        int fields = samples == null ? 0 : samples.length * samples[0].length;
        ByteBuffer b = ByteBuffer.allocate(8 + (firstSampleFlags != null ? 4 : 0) + 4 * fields);
        b.putInt(flags).putInt((int) count);
        if (firstSampleFlags != null) {
            b.putInt(firstSampleFlags.intValue());
        }
        if (samples != null) {
            for (long[] s : samples) {
                for (long v : s) {
                    b.putInt((int) v);
                }
            }
        }
        return box("trun", b.array());
    }
}

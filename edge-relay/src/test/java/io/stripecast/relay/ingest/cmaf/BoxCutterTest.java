package io.stripecast.relay.ingest.cmaf;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The cutter over real ffmpeg output fed in random chunk sizes (seeded; the seed is in every message): the parts
 * concatenated are the file byte for byte, each cut is at the end of a fragment's mdat, part 0 starts with the
 * segment's styp and every other part with a moof. Then every lie it must refuse.
 */
class BoxCutterTest {
    static final int MAX_PART = 1 << 20;
    static final long MAX_SEGMENT = 8L << 20;

    @TempDir
    static Path dir;
    static List<Path> segments;

    @BeforeAll
    static void encode() throws Exception {
        FfmpegDash.encode(dir, 5);
        try (var files = Files.list(dir)) {
            segments = files.filter(f -> f.getFileName().toString().startsWith("chunk-stream0-")).sorted().toList();
        }
        assertThat(segments).as("5 s in 2 s segments").hasSize(3);
    }

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 30);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void partsAreTheFileCutAtFragmentEnds(long seed) throws Exception {
        Random random = new Random(seed);
        for (Path segment : segments) {
            byte[] file = Files.readAllBytes(segment);
            List<byte[]> parts = cut(file, random);
            String what = "seed " + seed + ", " + segment.getFileName();

            ByteArrayOutputStream joined = new ByteArrayOutputStream();
            List<Integer> cuts = new ArrayList<>();
            for (byte[] p : parts) {
                joined.write(p);
                cuts.add(joined.size());
            }
            assertThat(joined.toByteArray()).as(what + ": the parts concatenated").isEqualTo(file);
            assertThat(cuts).as(what + ": cut points").isEqualTo(FfmpegDash.fragmentEnds(file));
            for (int i = 0; i < parts.size(); i++) {
                List<Box> boxes = Box.children(parts.get(i), 0, parts.get(i).length);
                assertThat(boxes.get(0).type()).as(what + ": part " + i + " starts with").isEqualTo(i == 0 ? "styp" : "moof");
                assertThat(boxes.get(boxes.size() - 1).type()).as(what + ": part " + i + " ends with").isEqualTo("mdat");
            }
        }
    }

    @Test
    void eachTwoSecondSegmentHasTenPartsOfTwoHundredMilliseconds() throws Exception {
        TrackInit track = TrackInit.parse(Files.readAllBytes(dir.resolve("init-stream0.m4s")));
        assertThat(track.timescale()).isEqualTo(12800);
        assertThat(track.isVideo()).isTrue();
        for (Path segment : segments.subList(0, 2)) {
            List<byte[]> parts = cut(Files.readAllBytes(segment), new Random(7));
            assertThat(parts).as(segment.getFileName().toString()).hasSize(10);
            long total = 0;
            for (int i = 0; i < parts.size(); i++) {
                Fragments.Timing t = Fragments.read(parts.get(i), track);
                assertThat(t.durationMicros()).as("part %d of %s", i, segment.getFileName()).isEqualTo(200_000);
                // -g 50 at 25 fps: one key frame per 2 s segment, at its start.
                assertThat(t.independent()).as("part %d of %s starts with a key frame", i, segment.getFileName()).isEqualTo(i == 0);
                total += t.durationMicros();
            }
            assertThat(total).isEqualTo(2_000_000);
        }
    }

    @Test
    void partDurationsMatchTheDecodeTimesOfTheNextFragment() throws Exception {
        // An independent check of the trun arithmetic: each fragment's tfdt minus the one before is its predecessor's
        // duration, in the same timescale.
        TrackInit track = TrackInit.parse(Files.readAllBytes(dir.resolve("init-stream0.m4s")));
        List<byte[]> parts = new ArrayList<>();
        for (Path segment : segments) {
            parts.addAll(cut(Files.readAllBytes(segment), new Random(11)));
        }
        for (int i = 0; i + 1 < parts.size(); i++) {
            long ticks = tfdt(parts.get(i + 1)) - tfdt(parts.get(i));
            assertThat(Fragments.read(parts.get(i), track).durationMicros()).as("part %d", i).isEqualTo(ticks * 1_000_000 / track.timescale());
        }
    }

    @Test
    void aSixtyFourBitSizeSplitAcrossChunksIsRead() throws Exception {
        byte[] styp = box("styp", new byte[12]);
        byte[] moof = box("moof", new byte[20]);
        byte[] mdat = new byte[16 + 5];
        ByteBuffer.wrap(mdat).putInt(1).put("mdat".getBytes()).putLong(mdat.length);
        byte[] all = concat(styp, moof, mdat);
        BoxCutter cutter = new BoxCutter(MAX_PART, MAX_SEGMENT, 64);
        List<byte[]> parts = new ArrayList<>();
        for (int i = 0; i < all.length; i++) {
            parts.addAll(cutter.feed(all, i, 1));
        }
        cutter.finish();
        assertThat(parts).hasSize(1);
        assertThat(parts.get(0)).isEqualTo(all);
    }

    @Test
    void aBoxSmallerThanItsHeaderIsRefused() {
        byte[] bad = new byte[8];
        ByteBuffer.wrap(bad).putInt(7).put("moof".getBytes());
        assertRefused(bad, "box_size");
    }

    @Test
    void aBoxOfSizeZeroIsRefused() {
        byte[] bad = new byte[8];
        ByteBuffer.wrap(bad).putInt(0).put("mdat".getBytes());
        assertRefused(bad, "box_size");
    }

    @Test
    void aBoxLargerThanASegmentIsRefusedBeforeItsBodyIsRead() {
        byte[] head = new byte[16];
        ByteBuffer.wrap(head).putInt(1).put("mdat".getBytes()).putLong(MAX_SEGMENT + 1);
        assertRefused(concat(box("moof", new byte[8]), head), "too_large");
    }

    @Test
    void aPartLargerThanAPartMayBeIsRefused() {
        byte[] head = new byte[8];
        ByteBuffer.wrap(head).putInt(MAX_PART).put("mdat".getBytes());
        assertRefused(concat(box("moof", new byte[8]), head), "part_too_large");
    }

    @Test
    void moreBytesThanASegmentMayHaveAreRefused() {
        BoxCutter cutter = new BoxCutter(MAX_PART, 100, 64);
        assertThatThrownBy(() -> cutter.feed(new byte[101], 0, 101)).isInstanceOf(CmafException.class)
                .extracting(e -> ((CmafException) e).reason()).isEqualTo("too_large");
    }

    @Test
    void moreThanSixtyFourPartsAreRefused() throws Exception {
        byte[] fragment = concat(box("moof", new byte[8]), box("mdat", new byte[4]));
        BoxCutter cutter = new BoxCutter(MAX_PART, MAX_SEGMENT, 64);
        for (int i = 0; i < 64; i++) {
            assertThat(cutter.feed(fragment, 0, fragment.length)).hasSize(1);
        }
        assertThatThrownBy(() -> cutter.feed(fragment, 0, fragment.length)).isInstanceOf(CmafException.class)
                .extracting(e -> ((CmafException) e).reason()).isEqualTo("too_many_parts");
    }

    @Test
    void anMdatWithoutAMoofIsRefused() {
        assertRefused(concat(box("styp", new byte[4]), box("mdat", new byte[4])), "bad_fragment");
    }

    @Test
    void anUploadEndingInsideABoxOrAfterAMoofIsTruncated() throws Exception {
        byte[] file = Files.readAllBytes(segments.get(0));
        for (int end : new int[]{3, 30, FfmpegDash.fragmentEnds(file).get(0) + 10, file.length - 1}) {
            BoxCutter cutter = new BoxCutter(MAX_PART, MAX_SEGMENT, 64);
            cutter.feed(file, 0, end);
            assertThatThrownBy(cutter::finish).as("ended after %d bytes", end).isInstanceOf(CmafException.class)
                    .extracting(e -> ((CmafException) e).reason()).isEqualTo("truncated");
        }
        BoxCutter empty = new BoxCutter(MAX_PART, MAX_SEGMENT, 64);
        assertThatThrownBy(empty::finish).extracting(e -> ((CmafException) e).reason()).isEqualTo("empty");
    }

    static List<byte[]> cut(byte[] file, Random random) throws CmafException {
        BoxCutter cutter = new BoxCutter(MAX_PART, MAX_SEGMENT, 64);
        List<byte[]> parts = new ArrayList<>();
        int at = 0;
        while (at < file.length) {
            // Mostly small chunks (as an HTTP decoder hands them over), sometimes one byte, sometimes large.
            int n = switch (random.nextInt(4)) {
                case 0 -> 1;
                case 1 -> 1 + random.nextInt(16);
                case 2 -> 1 + random.nextInt(8192);
                default -> 1 + random.nextInt(40_000);
            };
            n = Math.min(n, file.length - at);
            parts.addAll(cutter.feed(file, at, n));
            at += n;
        }
        cutter.finish();
        return parts;
    }

    /** The base media decode time of a part's first fragment (moof/traf/tfdt). */
    static long tfdt(byte[] part) throws CmafException {
        for (Box moof : Box.children(part, 0, part.length)) {
            if (moof.type().equals("moof")) {
                Box tfdt = moof.child(part, "traf").child(part, "tfdt");
                ByteBuffer b = ByteBuffer.wrap(part);
                return part[tfdt.bodyStart()] == 1 ? b.getLong(tfdt.bodyStart() + 4) : Integer.toUnsignedLong(b.getInt(tfdt.bodyStart() + 4));
            }
        }
        throw new AssertionError("no moof");
    }

    static void assertRefused(byte[] bytes, String reason) {
        BoxCutter cutter = new BoxCutter(MAX_PART, MAX_SEGMENT, 64);
        assertThatThrownBy(() -> {
            cutter.feed(bytes, 0, bytes.length);
            cutter.finish();
        }).isInstanceOf(CmafException.class).extracting(e -> ((CmafException) e).reason()).isEqualTo(reason);
    }

    static byte[] box(String type, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(8 + body.length);
        b.putInt(8 + body.length).put(type.getBytes()).put(body);
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}

package io.stripecast.relay.ingest.cmaf;

import java.util.List;

/**
 * What an fMP4 init segment says about its one track that its fragments need to be read: the track's id, its
 * timescale ({@code mdhd}), its handler ({@code vide}, {@code soun}, ...) and the defaults of its {@code trex}, which a
 * fragment's {@code tfhd} and {@code trun} may leave out.
 */
public record TrackInit(long trackId, long timescale, String handler, long defaultSampleDuration, long defaultSampleFlags) {

    public boolean isVideo() {
        return "vide".equals(handler);
    }

    /**
     * Reads an init segment ({@code ftyp} + {@code moov}). CMAF has one track per file, and so does every stream of
     * ffmpeg's DASH muxer: anything else is refused rather than guessed at.
     */
    public static TrackInit parse(byte[] init) throws CmafException {
        Box moov = null;
        for (Box b : Box.children(init, 0, init.length)) {
            if (b.type().equals("moov")) {
                moov = b;
            }
        }
        if (moov == null) {
            throw new CmafException("bad_init", "no moov box: not an fMP4 init segment");
        }
        List<Box> traks = Box.children(init, moov.bodyStart(), moov.end()).stream().filter(b -> b.type().equals("trak")).toList();
        if (traks.size() != 1) {
            throw new CmafException("bad_init", "an init segment must have exactly one track (CMAF), this one has " + traks.size());
        }
        Box trak = traks.get(0);
        Box tkhd = need(init, trak, "tkhd");
        int version = fullBoxVersion(init, tkhd);
        long trackId = Box.u32(init, at(tkhd, 4 + (version == 1 ? 16 : 8), 4));
        Box mdia = need(init, trak, "mdia");
        Box mdhd = need(init, mdia, "mdhd");
        int mdhdVersion = fullBoxVersion(init, mdhd);
        long timescale = Box.u32(init, at(mdhd, 4 + (mdhdVersion == 1 ? 16 : 8), 4));
        if (timescale == 0) {
            throw new CmafException("bad_init", "the track's timescale is 0");
        }
        Box hdlr = need(init, mdia, "hdlr");
        String handler = Box.type(init, at(hdlr, 8, 4));
        long defaultDuration = 0;
        long defaultFlags = 0;
        Box mvex = moov.child(init, "mvex");
        if (mvex != null) {
            for (Box trex : Box.children(init, mvex.bodyStart(), mvex.end())) {
                if (trex.type().equals("trex") && Box.u32(init, at(trex, 4, 4)) == trackId) {
                    defaultDuration = Box.u32(init, at(trex, 12, 4));
                    defaultFlags = Box.u32(init, at(trex, 20, 4));
                }
            }
        }
        return new TrackInit(trackId, timescale, handler, defaultDuration, defaultFlags);
    }

    private static Box need(byte[] b, Box parent, String type) throws CmafException {
        Box c = parent.child(b, type);
        if (c == null) {
            throw new CmafException("bad_init", "no " + type + " in " + parent.type());
        }
        return c;
    }

    static int fullBoxVersion(byte[] b, Box box) throws CmafException {
        return b[at(box, 0, 4)] & 0xff;
    }

    /** The offset of {@code length} bytes at {@code offset} into the box's body, refusing what lies past its end. */
    static int at(Box box, int offset, int length) throws CmafException {
        if (offset + length > box.bodyLength()) {
            throw new CmafException("bad_box", "box '" + Box.printable(box.type()) + "' is too short (" + box.bodyLength() + " bytes)");
        }
        return box.bodyStart() + offset;
    }
}

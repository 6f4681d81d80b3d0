package io.stripecast.lab.scenario;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A viewer that behaves like an HLS player: polls the playlist about once per target duration,
 * fetches each new segment once, and keeps a buffer model like hls.js's live defaults: playback
 * starts once {@value #START_SEGMENTS} segments are buffered, runs in real time, and stalls when the
 * next segment is not there by its deadline.
 */
final class HlsViewer implements Runnable {
    /** One segment as this viewer got it. */
    record Got(long mediaSequence, long arrivedMillis, double durationSeconds, int bytes) {
    }

    /**
     * How a player reloads its playlist.
     *
     * @param pollMillis       0: at half the target duration, as players do; else this often (an availability probe)
     * @param blockWhenOffered where the playlist offers LL-HLS blocking reload ({@code CAN-BLOCK-RELOAD=YES}), ask
     *                         for the next segment with {@code _HLS_msn} and let the server answer when it is listed,
     *                         as hls.js does in its default low-latency mode; elsewhere poll
     */
    record Reload(long pollMillis, boolean blockWhenOffered) {
        static final Reload PLAYER = new Reload(0, false);

        boolean probe() {
            return pollMillis > 0;
        }
    }

    static final int START_SEGMENTS = 3;

    private final String playlistUrl;
    private final HttpClient http;
    private final Reload reload;
    private final long startedMillis = System.currentTimeMillis();
    private final Map<Long, Got> got = new ConcurrentHashMap<>();
    private volatile boolean stop;
    /** Newest sequence of the first playlist seen: what was already there is not "new" to this viewer. */
    private volatile long firstPlaylistNewest = Long.MAX_VALUE;
    /** The media sequence to ask the server to hold the next reload for; -1: an ordinary reload. */
    private long blockFor = -1;
    /** Whether the current poll's playlist request got an answer (a later segment fetch may still fail). */
    private boolean playlistAnswered;
    /** The playlist's target duration (1 s until a playlist says otherwise). */
    private long targetDurationMillis = 1000;
    /** First plain playlist answered 200: from then on, an unanswerable playlist is darkness (before it, startup). */
    private volatile long firstAnsweredMillis = -1;
    /** When the current dark spell began (a plain reload not answered 200, or no answer at all); -1 while lit. */
    private volatile long darkSinceMillis = -1;
    private final AtomicLong darkMillis = new AtomicLong();
    private volatile long stoppedMillis = -1;
    private final AtomicLong heldReloads = new AtomicLong();
    private final AtomicLong plainReloads = new AtomicLong();

    HlsViewer(String playlistUrl, HttpClient http) {
        this(playlistUrl, http, Reload.PLAYER);
    }

    HlsViewer(String playlistUrl, HttpClient http, Reload reload) {
        this.playlistUrl = playlistUrl;
        this.http = http;
        this.reload = reload;
    }

    String playlistUrl() {
        return playlistUrl;
    }

    void stop() {
        stoppedMillis = System.currentTimeMillis();
        stop = true;
    }

    /**
     * How long this viewer's server could not answer its playlist after having answered it once: the sum of the
     * spells from a plain reload that failed (not 200, or no answer) to the next one answered 200, the open spell
     * counted to the viewer's stop. A blocking reload answered 503 (the segment not listed in three target
     * durations) is not darkness: the playlist itself was answerable, and a plain reload follows at once.
     */
    long darkMillis() {
        long since = darkSinceMillis;
        long end = stoppedMillis > 0 ? stoppedMillis : System.currentTimeMillis();
        return darkMillis.get() + (since >= 0 ? Math.max(0, end - since) : 0);
    }

    private void answered(boolean ok) {
        long now = System.currentTimeMillis();
        if (ok) {
            if (firstAnsweredMillis < 0) {
                firstAnsweredMillis = now;
            }
            long since = darkSinceMillis;
            if (since >= 0) {
                darkMillis.addAndGet(now - since);
                darkSinceMillis = -1;
            }
        } else if (firstAnsweredMillis >= 0 && darkSinceMillis < 0) {
            darkSinceMillis = now;
        }
    }

    @Override
    public void run() {
        URI base = URI.create(playlistUrl);
        while (!stop) {
            long cycleStart = System.currentTimeMillis();
            boolean held = false;
            try {
                held = poll(base);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (java.io.IOException e) {
                // No answer to the playlist (a segment fetch failing is not darkness: the playlist was answered).
                if (!playlistAnswered) {
                    answered(false);
                }
                blockFor = -1;
            } catch (Exception e) {
                // A failed poll or fetch is retried at the next poll; what never arrives shows as missing.
                blockFor = -1;
            }
            // A blocking reload goes out at once: the server holds it until the segment is listed. A probe polls
            // at a fixed rate, so a slow answer or a segment fetch does not stretch its cycle; a viewer waits its
            // interval after each reload (or failure), as players do.
            long wait = held ? 0 : reload.probe() ? cycleStart + reload.pollMillis() - System.currentTimeMillis() : reloadMillis();
            try {
                Thread.sleep(Math.max(0, wait));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * One reload: the playlist, then every listed segment not got yet. True when the next reload is to be a
     * blocking one, sent at once.
     */
    private boolean poll(URI base) throws Exception {
        // A held request may wait three target durations before the server gives up on it (RFC 8216bis 6.2.5.2).
        URI uri = blockFor >= 0 ? URI.create(base + "?_HLS_msn=" + blockFor) : base;
        Duration timeout = Duration.ofMillis(5_000 + (blockFor >= 0 ? 3 * targetDurationMillis : 0));
        playlistAnswered = false;
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
        playlistAnswered = true;
        if (blockFor < 0 || r.statusCode() == 200) {
            answered(r.statusCode() == 200);
        }
        if (r.statusCode() != 200) {
            // Not listed in time (503) or no longer a sensible ask (400): start again from a plain reload.
            blockFor = -1;
            return false;
        }
        (blockFor >= 0 ? heldReloads : plainReloads).incrementAndGet();
        boolean canBlock = false;
        boolean first = firstPlaylistNewest == Long.MAX_VALUE;
        long newest = -1;
        long media = -1;
        double duration = 1;
        for (String line : r.body().split("\n")) {
            if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
                media = Long.parseLong(line.substring(22).strip());
            } else if (line.startsWith("#EXT-X-TARGETDURATION:")) {
                targetDurationMillis = Long.parseLong(line.substring(22).strip()) * 1000;
            } else if (line.startsWith("#EXT-X-SERVER-CONTROL:")) {
                canBlock = line.contains("CAN-BLOCK-RELOAD=YES");
            } else if (line.startsWith("#EXTINF:")) {
                duration = Double.parseDouble(line.substring(8, line.indexOf(',')));
            } else if (!line.isBlank() && !line.startsWith("#") && media >= 0) {
                long seq = media++;
                newest = seq;
                if (!got.containsKey(seq)) {
                    HttpResponse<byte[]> seg = http.send(HttpRequest.newBuilder(base.resolve(line.strip()))
                            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
                    // A segment not answered 200 is asked for again at the next poll, as players do.
                    if (seg.statusCode() == 200) {
                        got.put(seq, new Got(seq, System.currentTimeMillis(), duration, seg.body().length));
                    }
                }
            }
        }
        if (first && newest >= 0) {
            firstPlaylistNewest = newest;
        }
        blockFor = reload.blockWhenOffered() && canBlock && newest >= 0 ? newest + 1 : -1;
        return blockFor >= 0;
    }

    /** A viewer reloads at half the target duration, as players do. */
    private long reloadMillis() {
        return Math.max(200, targetDurationMillis / 2);
    }

    /** Playlists answered 200 to a blocking reload ({@code _HLS_msn}) so far. */
    long heldReloads() {
        return heldReloads.get();
    }

    /** Playlists answered 200 to a plain reload so far. */
    long plainReloads() {
        return plainReloads.get();
    }

    Map<Long, Got> segments() {
        return new TreeMap<>(got);
    }

    /** Segments that appeared after this viewer's first playlist: their arrival is a fair availability sample. */
    java.util.List<Got> newSegments() {
        long after = firstPlaylistNewest;
        return new TreeMap<>(got).values().stream().filter(g -> g.mediaSequence() > after).toList();
    }

    /** Startup, stalls and continuity under the buffer model, from the first segment got to the last got. */
    PlaybackStats playback() {
        return playback(-1);
    }

    /**
     * As {@link #playback()}, but every sequence up to {@code lastSequence} (the source's last) was due: a
     * viewer whose server stopped serving counts what never came as missing.
     */
    PlaybackStats playback(long lastSequence) {
        TreeMap<Long, Got> segs = new TreeMap<>(got);
        if (segs.isEmpty()) {
            return new PlaybackStats(-1, 0, 0, 0, 0);
        }
        Map<Long, Boolean> onTime = onTime();
        long startup = playStart(segs) - startedMillis;
        int stalls = 0;
        long stalledMillis = 0;
        int inTime = 0;
        long expectedSeq = segs.firstKey();
        int missing = 0;
        double deadline = playStart(segs);
        for (Got g : segs.values()) {
            missing += (int) (g.mediaSequence() - expectedSeq);
            expectedSeq = g.mediaSequence() + 1;
            if (onTime.get(g.mediaSequence())) {
                inTime++;
            } else {
                stalls++;
                stalledMillis += (long) (g.arrivedMillis() - deadline);
                deadline = g.arrivedMillis();
            }
            deadline += g.durationSeconds() * 1000;
        }
        missing += (int) Math.max(0, lastSequence - segs.lastKey());
        return new PlaybackStats(startup, stalls, stalledMillis, inTime, missing);
    }

    /**
     * Per segment got, whether it was there by its playback deadline: playback starts once
     * {@value #START_SEGMENTS} are in and runs in real time; a late segment stalls it until it arrives.
     */
    Map<Long, Boolean> onTime() {
        TreeMap<Long, Got> segs = new TreeMap<>(got);
        Map<Long, Boolean> out = new TreeMap<>();
        if (segs.isEmpty()) {
            return out;
        }
        double deadline = playStart(segs);
        for (Got g : segs.values()) {
            boolean late = g.arrivedMillis() > deadline;
            out.put(g.mediaSequence(), !late);
            if (late) {
                deadline = g.arrivedMillis();
            }
            deadline += g.durationSeconds() * 1000;
        }
        return out;
    }

    private static long playStart(TreeMap<Long, Got> segs) {
        List<Got> ordered = new ArrayList<>(segs.values());
        return ordered.get(Math.min(START_SEGMENTS, ordered.size()) - 1).arrivedMillis();
    }

    record PlaybackStats(long startupMillis, int stalls, long stalledMillis, int onTime, int missing) {
    }
}

package io.stripecast.relay.ingest;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The uploaded files of one stream not yet committed, by name: one store however many renditions the stream has
 * (ffmpeg names every variant's files in one folder, {@code stream_00.ts}, {@code stream_10.ts}), bounded in number
 * and age so that files no playlist ever lists cannot pile up. Not thread-safe: used under its committer's lock.
 */
final class UploadStore {
    record Upload(byte[] bytes, long arrivedMillis) {
    }

    private final Map<String, Upload> uploads = new LinkedHashMap<>();
    private final int max;

    UploadStore(int max) {
        this.max = max;
    }

    /** Keeps a file (a re-upload replaces it); returns how many of the oldest were let go to stay in bound. */
    int put(String name, byte[] bytes, long nowMillis) {
        uploads.remove(name);
        uploads.put(name, new Upload(bytes, nowMillis));
        int evicted = 0;
        while (uploads.size() > max) {
            Iterator<String> eldest = uploads.keySet().iterator();
            eldest.next();
            eldest.remove();
            evicted++;
        }
        return evicted;
    }

    boolean holds(String name) {
        return uploads.containsKey(name);
    }

    /** Takes a file out (it is committed or let go); null when it is not here. */
    Upload take(String name) {
        return uploads.remove(name);
    }

    /** Lets go of files older than the bound; returns how many. */
    int expire(long nowMillis, long timeoutMillis) {
        int[] stale = {0};
        uploads.values().removeIf(u -> {
            boolean old = nowMillis - u.arrivedMillis() > timeoutMillis;
            if (old) {
                stale[0]++;
            }
            return old;
        });
        return stale[0];
    }
}

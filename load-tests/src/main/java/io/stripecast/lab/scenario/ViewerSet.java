package io.stripecast.lab.scenario;

import io.stripecast.lab.cluster.JavaService;

import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The players of a run, each on a thread, with the server it watches and that server's depth: viewers
 * (player-like polling; they give continuity) and probes (fast polling; availability at the serving node,
 * kept out of the viewer figures). Viewers of a server that left the run are set aside: a real player
 * would have moved to another edge.
 */
final class ViewerSet {
    private record Entry(HlsViewer viewer, Thread thread, String server, int depth, boolean probe) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final List<String> setAside = new ArrayList<>();

    /**
     * A probe gets an HTTP client of its own: the JDK client moves every connection's bytes on one selector
     * thread, and sharing it with the viewers, who all fetch a new segment in the same instant, queued the
     * probe's poll behind their downloads exactly when it was to see that segment.
     */
    synchronized void add(String server, int depth, String playlistUrl, HlsViewer.Reload reload, HttpClient http) {
        HlsViewer v = new HlsViewer(playlistUrl, reload.probe() ? JavaService.newHttpClient() : http, reload);
        Thread t = new Thread(v, (reload.probe() ? "probe-" : "viewer-") + server + "-" + entries.size());
        t.setDaemon(true);
        t.start();
        entries.add(new Entry(v, t, server, depth, reload.probe()));
    }

    synchronized void add(String server, int depth, JavaService relay, String stream, HlsViewer.Reload reload) {
        add(server, depth, relay.base() + "/live/" + stream + "/index.m3u8", reload, JavaService.HTTP);
    }

    /** Stops the players of a server that went away and keeps them out of the figures. */
    synchronized void serverLeft(String server) {
        entries.removeIf(e -> {
            if (e.server().equals(server)) {
                e.viewer().stop();
                setAside.add(e.server() + (e.probe() ? " (probe)" : ""));
                return true;
            }
            return false;
        });
    }

    synchronized void stopAll() throws InterruptedException {
        entries.forEach(e -> e.viewer().stop());
        for (Entry e : entries) {
            e.thread().join(15_000);
        }
    }

    synchronized List<HlsViewer> viewers() {
        return entries.stream().filter(e -> !e.probe()).map(Entry::viewer).toList();
    }

    /** Viewers (not probes) watching a server that {@code server} accepts. */
    synchronized List<HlsViewer> viewers(java.util.function.Predicate<String> server) {
        return entries.stream().filter(e -> !e.probe() && server.test(e.server())).map(Entry::viewer).toList();
    }

    synchronized Map<HlsViewer, Integer> viewerDepths() {
        Map<HlsViewer, Integer> out = new LinkedHashMap<>();
        entries.stream().filter(e -> !e.probe()).forEach(e -> out.put(e.viewer(), e.depth()));
        return out;
    }

    synchronized Map<HlsViewer, Integer> probeDepths() {
        Map<HlsViewer, Integer> out = new LinkedHashMap<>();
        entries.stream().filter(Entry::probe).forEach(e -> out.put(e.viewer(), e.depth()));
        return out;
    }

    /** How the probes reloaded: the server held some requests until listed (LL-HLS), or they polled. */
    synchronized String probeReloads(long pollMillis) {
        long held = entries.stream().filter(Entry::probe).mapToLong(e -> e.viewer().heldReloads()).sum();
        long plain = entries.stream().filter(Entry::probe).mapToLong(e -> e.viewer().plainReloads()).sum();
        return "probes' playlist reloads: " + held + " held by the server until the next segment was listed (_HLS_msn), "
                + plain + " plain ones (polling every " + pollMillis + " ms)";
    }

    /** Bytes of segments every player (viewers and probes, set-aside ones excluded) received. */
    synchronized long bytesReceived() {
        return entries.stream().mapToLong(e -> e.viewer().segments().values().stream().mapToLong(HlsViewer.Got::bytes).sum()).sum();
    }

    /** Per server still in the run, the longest any of its viewers or probes found its playlist unanswerable (ms). */
    synchronized Map<String, Long> darkMillisByServer() {
        Map<String, Long> out = new java.util.TreeMap<>();
        for (Entry e : entries) {
            out.merge(e.server(), e.viewer().darkMillis(), Math::max);
        }
        return out;
    }

    synchronized List<String> setAside() {
        return List.copyOf(setAside);
    }
}

package io.stripecast.relay.ingest;

import io.stripecast.protocol.trust.PublisherKeys;
import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.http.BoundedBody;
import io.stripecast.relay.http.ClosingAnswer;
import io.stripecast.relay.http.Problems;
import io.stripecast.relay.ingest.cmaf.BoxCutter;
import io.stripecast.relay.ingest.cmaf.CmafException;
import io.stripecast.relay.ingest.cmaf.DashManifest;
import io.stripecast.relay.ingest.cmaf.DashNames;
import io.stripecast.relay.ingest.cmaf.TrackInit;
import io.stripecast.relay.push.ShardValidator;
import io.vertx.core.buffer.Buffer;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.protocol.Names;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.stream.StreamRuntime;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code PUT /ingest/{stream}/{file}} and {@code DELETE} exactly as ffmpeg's HLS muxer sends them, and as its DASH
 * muxer sends them (issue 18: {@code manifest.mpd}, {@code init-stream<N>.m4s}, {@code chunk-stream<N>-<n>.m4s}).
 * Everything is checked before a byte of the body is buffered (name, stream, key, role), and the
 * body itself is bounded: a segment by max-segment-bytes, a playlist or manifest by max-playlist-bytes. A DASH
 * segment is read as it arrives and published part by part ({@link ChunkUploadReader}), never buffered whole.
 */
@ApplicationScoped
public class IngestRoutes {
    private static final String CHECKED = "stripecast.ingest.runtime";
    private static final String FILE = "stripecast.ingest.file";

    @Inject
    RelaySettings settings;
    @Inject
    StreamRegistry streams;
    @Inject
    IngestService ingest;
    @Inject
    RelayMetrics metrics;

    private KeyFailures keyFailures;

    @PostConstruct
    void init() {
        RelaySettings.Limits l = settings.limits();
        keyFailures = new KeyFailures(l.keyFailuresBeforeBackoff(), l.keyBackoffMax().toMillis(), l.keyFailureAddresses());
        metrics.watchKeyFailures(keyFailures::tracked);
        streams.timer().scheduleWithFixedDelay(() -> keyFailures.expire(System.currentTimeMillis()), 60, 60, TimeUnit.SECONDS);
    }

    void register(@Observes Router router) {
        int playlistLimit = settings.limits().maxPlaylistBytes();
        int segmentLimit = settings.limits().maxSegmentBytes();
        router.routeWithRegex(HttpMethod.PUT, DashNames.CHUNK_ROUTE)
                .handler(this::check)
                .handler(this::putChunk);
        router.routeWithRegex(HttpMethod.PUT, DashNames.INIT_ROUTE)
                .handler(this::check)
                .handler(this::touchDash)
                .handler(ctx -> BoundedBody.read(ctx, segmentLimit, body -> putDashInit(ctx, body), () -> tooLarge(ctx)));
        router.routeWithRegex(HttpMethod.PUT, DashNames.MANIFEST_ROUTE)
                .handler(this::check)
                .handler(this::touchDash)
                .handler(ctx -> BoundedBody.read(ctx, playlistLimit, body -> putManifest(ctx, body), () -> tooLarge(ctx)));
        router.routeWithRegex(HttpMethod.PUT, "/ingest/[^/]+/[^/]+\\.m3u8")
                .handler(this::check)
                .handler(ctx -> BoundedBody.read(ctx, playlistLimit, body -> putPlaylist(ctx, body), () -> tooLarge(ctx)));
        router.route(HttpMethod.PUT, "/ingest/:stream/:file")
                .handler(this::check)
                .handler(ctx -> BoundedBody.read(ctx, segmentLimit, body -> putSegment(ctx, body), () -> tooLarge(ctx)));
        router.route(HttpMethod.DELETE, "/ingest/:stream/:file")
                .handler(this::check)
                .handler(this::delete);
        router.route("/ingest/*").handler(ctx -> reject(ctx, 400, "bad_path", "Bad ingest path",
                "expected PUT or DELETE /ingest/{stream}/{file}"));
    }

    private void check(RoutingContext ctx) {
        String path = ctx.normalizedPath();
        String[] parts = path.split("/");
        if (parts.length != 4) {
            reject(ctx, 400, "bad_path", "Bad ingest path", "expected /ingest/{stream}/{file}");
            return;
        }
        String stream = parts[2];
        String file = parts[3];
        if (!Names.isStreamName(stream)) {
            reject(ctx, 400, "bad_name", "Bad stream name", "stream names match [A-Za-z0-9][A-Za-z0-9_-]{0,63}");
            return;
        }
        if (!Names.isFileName(file) || kindOf(file) == null) {
            reject(ctx, 400, "bad_name", "Bad file name",
                    "files are plain names ending in .m3u8, .mpd, .ts, .m4s or .mp4, no path separators");
            return;
        }
        Optional<StreamRuntime> runtime = streams.find(stream);
        if (runtime.isEmpty()) {
            reject(ctx, 404, "unknown_stream", "Unknown stream", "stream " + stream + " is not configured on this relay");
            return;
        }
        if (runtime.get().spec().key().isPresent()) {
            String client = ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().host();
            long now = System.currentTimeMillis();
            long wait = keyFailures.waitMillis(client, now);
            if (wait > 0) {
                // Refused unchecked: while an address waits, a right guess is worth nothing.
                ctx.response().putHeader("Retry-After", Long.toString((wait + 999) / 1000));
                reject(ctx, 429, "key_backoff", "Too many wrong keys",
                        "too many wrong stream keys from this address; retry after the time Retry-After says");
                return;
            }
            String presented = presentedKey(ctx);
            if (presented == null) {
                // Nothing was guessed, so nothing counts against the address: ffmpeg's first request with user:key@
                // in its URL (the DASH muxer has no -headers) carries no credentials and waits for this challenge.
                challenge(ctx);
                reject(ctx, 401, "no_key", "Unauthorized", "missing stream key");
                return;
            }
            if (!PublisherKeys.matches(runtime.get().spec().key().get(), presented)) {
                keyFailures.failed(client, now);
                challenge(ctx);
                reject(ctx, 401, "bad_key", "Unauthorized", "wrong stream key");
                return;
            }
            keyFailures.succeeded(client);
        }
        if (!runtime.get().isRoot() && !runtime.get().isStandbyIngest()) {
            reject(ctx, 409, "not_ingest", "Not the ingest relay", "this relay is not the ingest (root) of stream " + stream);
            return;
        }
        if (runtime.get().spec().pullUrl().isPresent()) {
            reject(ctx, 409, "pull_stream", "Pull stream", "stream " + stream + " is pulled from upstream; PUT is not accepted");
            return;
        }
        ctx.put(CHECKED, runtime.get());
        ctx.put(FILE, file);
        if ("100-continue".equalsIgnoreCase(ctx.request().getHeader("Expect"))) {
            // Checked: the client may send the body now (Vert.x leaves 100 Continue to the application).
            ctx.response().writeContinue();
        }
        ctx.next();
    }

    /*
     * Both PUTs answer as soon as the body is in and checked, and commit on a worker afterwards, one stream's commits
     * one at a time in the order they were handed over (SerialWork), which is before the answer.
     * ffmpeg with -http_persistent 1 pipelines the playlist behind a segment and closes the
     * connection right after its last request without reading the answers: a request still queued
     * behind an unanswered one would be lost with the connection.
     */
    private void putPlaylist(RoutingContext ctx, Buffer buffer) {
        StreamRuntime runtime = ctx.get(CHECKED);
        if (ignoredBesideDash(ctx, runtime)) {
            return;
        }
        String name = ctx.get(FILE);
        if (HlsMasterParser.isMaster(buffer.getBytes())) {
            putMaster(ctx, runtime, buffer);
            return;
        }
        MediaPlaylist playlist;
        try {
            playlist = new PlaylistParser(settings.limits().maxPlaylistEntries(), true).parse(buffer.getBytes());
        } catch (PlaylistException e) {
            reject(ctx, 400, "bad_playlist", "Bad playlist", e.getMessage());
            return;
        }
        IngestCommitter committer = ingest.committer(runtime.spec().name()).orElseThrow();
        long now = System.currentTimeMillis();
        ingest.inOrder(runtime).submit(() -> committer.onPlaylist(name, playlist, now));
        ctx.response().setStatusCode(204).end();
    }

    /**
     * A master playlist (ffmpeg's {@code -master_pl_name} with {@code -var_stream_map}): the ladder, and which media
     * playlist feeds which rendition. More variants than a stream carries renditions is refused, not cut short: a
     * ladder missing its top variants would look fine and serve less than the publisher sent.
     */
    private void putMaster(RoutingContext ctx, StreamRuntime runtime, Buffer buffer) {
        HlsMaster master;
        try {
            master = new HlsMasterParser(true).parse(buffer.getBytes());
        } catch (PlaylistException e) {
            boolean tooMany = e.getMessage().startsWith("more than");
            reject(ctx, 400, tooMany ? "too_many_renditions" : "bad_master", tooMany ? "Too many renditions" : "Bad master playlist",
                    e.getMessage());
            return;
        }
        IngestCommitter committer = ingest.committer(runtime.spec().name()).orElseThrow();
        long now = System.currentTimeMillis();
        ingest.inOrder(runtime).submit(() -> committer.onMaster(master, now));
        ctx.response().setStatusCode(204).end();
    }

    /**
     * ffmpeg's {@code -hls_flags delete_segments} DELETEs old segments: nothing to do, the window ages them out.
     * A DELETE of the playlist itself is how a publisher takes a stream down: the stream ends (ENDLIST at every
     * edge) once what the playlist listed is committed.
     */
    private void delete(RoutingContext ctx) {
        StreamRuntime runtime = ctx.get(CHECKED);
        String file = ctx.get(FILE);
        if ("manifest".equals(kindOf(file))) {
            ctx.response().setStatusCode(204).end();
            DashIngest dash = ingest.dash(runtime);
            long now = System.currentTimeMillis();
            ctx.vertx().executeBlocking(() -> {
                dash.onManifestDeleted(now);
                return null;
            }, false);
            return;
        }
        if ("playlist".equals(kindOf(file)) && ignoredBesideDash(ctx, runtime)) {
            return;
        }
        if (!"playlist".equals(kindOf(file))) {
            ctx.response().setStatusCode(204).end();
            return;
        }
        IngestCommitter committer = ingest.committer(runtime.spec().name()).orElseThrow();
        long now = System.currentTimeMillis();
        ingest.inOrder(runtime).submit(() -> committer.onPlaylistDeleted(file, now));
        ctx.response().setStatusCode(204).end();
    }

    private void putSegment(RoutingContext ctx, Buffer buffer) {
        StreamRuntime runtime = ctx.get(CHECKED);
        String file = ctx.get(FILE);
        if (buffer.length() == 0) {
            reject(ctx, 400, "empty_body", "Empty segment", "a segment needs at least one byte");
            return;
        }
        byte[] body = buffer.getBytes();
        IngestCommitter committer = ingest.committer(runtime.spec().name()).orElseThrow();
        long now = System.currentTimeMillis();
        // Handed over before the answer: the playlist the publisher sends after it is committed after it.
        ingest.inOrder(runtime).submit(() -> committer.onFile(file, body, now));
        ctx.response().setStatusCode(201).end();
    }

    /**
     * The HLS playlists ffmpeg's DASH muxer uploads beside its manifest ({@code -hls_playlist 1}: master.m3u8,
     * media_N.m3u8, even after its final manifest) describe what the DASH path already publishes: committing them on
     * the HLS path would wait for segments that never come its way and end the stream a second time. Answered 204,
     * counted, not used.
     */
    private boolean ignoredBesideDash(RoutingContext ctx, StreamRuntime runtime) {
        if (!ingest.dash(runtime).feeding(System.currentTimeMillis())) {
            return false;
        }
        metrics.ingestIgnored(runtime.spec().name(), "hls_beside_dash");
        ctx.response().setStatusCode(204).end();
        return true;
    }

    /** A DASH request began: from now on the stream's HLS playlists are the DASH muxer's and are ignored. */
    private void touchDash(RoutingContext ctx) {
        StreamRuntime runtime = ctx.get(CHECKED);
        ingest.dash(runtime).touched(System.currentTimeMillis());
        ctx.next();
    }

    /**
     * A DASH media segment's upload: a chunked PUT that stays open as long as its segment lasts. Opened here (its media
     * sequence fixed, the stream's bound on open uploads applied), then read and published part by part.
     */
    private void putChunk(RoutingContext ctx) {
        StreamRuntime runtime = ctx.get(CHECKED);
        DashNames.Chunk chunk = DashNames.chunk(ctx.get(FILE));
        if (chunk == null) {
            rejectAndClose(ctx, 400, "bad_name", "Bad file name", "expected chunk-stream<index>-<number>.m4s");
            return;
        }
        if (chunk.stream() >= ShardValidator.MAX_RENDITIONS) {
            rejectAndClose(ctx, 400, "too_many_renditions", "Too many renditions",
                    "a stream carries at most " + ShardValidator.MAX_RENDITIONS + " renditions (DASH stream index 0-"
                            + (ShardValidator.MAX_RENDITIONS - 1) + ")");
            return;
        }
        DashIngest dash = ingest.dash(runtime);
        ChunkUpload upload = dash.open(chunk.stream(), chunk.number(), System.currentTimeMillis());
        if (upload == null) {
            rejectAndClose(ctx, 429, "too_many_uploads", "Too many uploads",
                    "stream " + runtime.spec().name() + " has " + settings.limits().maxOpenUploads() + " segment uploads open already");
            return;
        }
        RelaySettings.Limits limits = settings.limits();
        BoxCutter cutter = new BoxCutter(Math.min(limits.maxPartBytes(), limits.maxSegmentBytes()), limits.maxSegmentBytes(),
                ShardValidator.MAX_PARTS_PER_SEGMENT);
        new ChunkUploadReader(ctx, upload, cutter, metrics, u -> ctx.vertx().executeBlocking(() -> {
            dash.drain(u, System.currentTimeMillis());
            return null;
        }, false)).start(limits.uploadDeadline().toMillis());
    }

    /** A DASH init segment (whole, bounded): checked here, published when its content is new for its rendition. */
    private void putDashInit(RoutingContext ctx, Buffer buffer) {
        StreamRuntime runtime = ctx.get(CHECKED);
        int index = DashNames.initStream(ctx.get(FILE));
        if (index < 0) {
            reject(ctx, 400, "bad_name", "Bad file name", "expected init-stream<index>.m4s");
            return;
        }
        if (index >= ShardValidator.MAX_RENDITIONS) {
            reject(ctx, 400, "too_many_renditions", "Too many renditions",
                    "a stream carries at most " + ShardValidator.MAX_RENDITIONS + " renditions");
            return;
        }
        byte[] bytes = buffer.getBytes();
        TrackInit track;
        try {
            track = TrackInit.parse(bytes);
        } catch (CmafException e) {
            reject(ctx, 400, e.reason(), "Bad init segment", e.getMessage());
            return;
        }
        ctx.response().setStatusCode(201).end();
        DashIngest dash = ingest.dash(runtime);
        long now = System.currentTimeMillis();
        ctx.vertx().executeBlocking(() -> {
            dash.onInit(index, track, bytes, now);
            return null;
        }, false);
    }

    /** A DASH manifest: the ladder, and the stream's end when it is the final one ({@code type="static"}). */
    private void putManifest(RoutingContext ctx, Buffer buffer) {
        StreamRuntime runtime = ctx.get(CHECKED);
        DashManifest manifest;
        try {
            manifest = DashManifest.parse(buffer.getBytes());
        } catch (CmafException e) {
            reject(ctx, 400, e.reason(), "Bad manifest", e.getMessage());
            return;
        }
        ctx.response().setStatusCode(204).end();
        DashIngest dash = ingest.dash(runtime);
        long now = System.currentTimeMillis();
        ctx.vertx().executeBlocking(() -> {
            dash.onManifest(manifest, now);
            return null;
        }, false);
    }

    /** Refuses a request whose body has not been read: the connection goes with the answer, unread bytes and all. */
    private void rejectAndClose(RoutingContext ctx, int status, String reason, String title, String detail) {
        ClosingAnswer.closeAfter(ctx);
        reject(ctx, status, reason, title, detail);
    }

    private void tooLarge(RoutingContext ctx) {
        reject(ctx, 413, "too_large", "Payload too large", "the body is larger than this relay accepts for that file");
    }

    private void reject(RoutingContext ctx, int status, String reason, String title, String detail) {
        metrics.ingestRejected(reason);
        Problems.send(ctx, status, title, detail);
    }

    /**
     * The 401's challenges: Bearer for clients that send {@code Authorization: Bearer} or {@code X-Stream-Key}, Basic for
     * ffmpeg's muxers given {@code http://<any user>:<key>@host/...}, which answer it with the key as the password.
     */
    private static void challenge(RoutingContext ctx) {
        ctx.response().headers().add("WWW-Authenticate", "Bearer realm=\"stripecast-ingest\"");
        ctx.response().headers().add("WWW-Authenticate", "Basic realm=\"stripecast-ingest\", charset=\"UTF-8\"");
    }

    /**
     * The key a request presents: {@code X-Stream-Key}, {@code Authorization: Bearer <key>}, or {@code Authorization: Basic}
     * with the key as the password (the user name is not used); null when it presents none. The relay never holds the
     * key itself: it is checked against the verifier.
     */
    static String presentedKey(RoutingContext ctx) {
        String given = ctx.request().getHeader("X-Stream-Key");
        if (given != null) {
            return given;
        }
        String auth = ctx.request().getHeader("Authorization");
        if (auth == null) {
            return null;
        }
        if (auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return auth.substring(7).strip();
        }
        if (auth.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String pair = new String(java.util.Base64.getDecoder().decode(auth.substring(6).strip()), StandardCharsets.UTF_8);
                int colon = pair.indexOf(':');
                return colon < 0 ? "" : pair.substring(colon + 1);
            } catch (IllegalArgumentException notBase64) {
                return "";
            }
        }
        return "";
    }

    static String kindOf(String file) {
        String lower = file.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".m3u8")) {
            return "playlist";
        }
        if (lower.endsWith(".mpd")) {
            return "manifest";
        }
        if (lower.endsWith(".ts") || lower.endsWith(".m4s") || lower.endsWith(".mp4")) {
            return "segment";
        }
        return null;
    }
}

package io.stripecast.relay.ingest;

import io.stripecast.relay.http.ClosingAnswer;
import io.stripecast.relay.http.Problems;
import io.stripecast.relay.ingest.cmaf.BoxCutter;
import io.stripecast.relay.ingest.cmaf.CmafException;
import io.stripecast.relay.metrics.RelayMetrics;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.function.Consumer;

/**
 * Reads one DASH segment upload as it arrives (the request has been checked: name, key, role): each chunk goes
 * through the {@link BoxCutter} on the connection's event loop, and each part it completes is queued for the publisher
 * at once, so a part leaves this relay while its segment's upload is still open (cut-through).
 *
 * <p>The answer: 201 once the publisher has taken the whole segment; an error as soon as the upload shows it lies
 * (box sizes, a part or segment too large, too many parts: 400/413), or has run past its deadline (408), after which
 * nothing more of it is read and its connection is closed. An upload whose connection closes early gets no answer.
 * Either way, what was published of the segment stays and the segment gets no PARTS_END (see {@link DashIngest}).
 */
final class ChunkUploadReader implements ChunkUpload.Listener {
    private final RoutingContext ctx;
    private final Context context;
    private final ChunkUpload upload;
    private final BoxCutter cutter;
    private final RelayMetrics metrics;
    /** Hands the upload to the publisher (on a worker). */
    private final Consumer<ChunkUpload> drain;
    /** Event loop only: the body has ended, been refused or been cut; nothing more is read. */
    private boolean done;
    private long deadlineTimer = -1;

    ChunkUploadReader(RoutingContext ctx, ChunkUpload upload, BoxCutter cutter, RelayMetrics metrics, Consumer<ChunkUpload> drain) {
        this.ctx = ctx;
        this.context = Vertx.currentContext();
        this.upload = upload;
        this.cutter = cutter;
        this.metrics = metrics;
        this.drain = drain;
    }

    void start(long deadlineMillis) {
        upload.listener = this;
        HttpServerRequest request = ctx.request();
        deadlineTimer = ctx.vertx().setTimer(deadlineMillis, id -> {
            deadlineTimer = -1;
            refuse(408, "upload_deadline", "Upload too long", "the segment's upload was still open after " + deadlineMillis + " ms");
        });
        request.handler(this::chunk);
        request.endHandler(v -> ended());
        request.exceptionHandler(e -> cut());
        // A connection closed before the body ended: the publisher learns the segment will not be whole.
        ctx.response().closeHandler(v -> cut());
        request.resume();
    }

    private void chunk(Buffer buffer) {
        if (done) {
            return;
        }
        List<byte[]> parts;
        try {
            parts = cutter.feed(buffer.getBytes(), 0, buffer.length());
        } catch (CmafException e) {
            refuse(e);
            return;
        }
        if (!parts.isEmpty()) {
            for (byte[] p : parts) {
                upload.add(new ChunkUpload.Part(p, System.currentTimeMillis()));
            }
            drain.accept(upload);
        }
    }

    private void ended() {
        if (done) {
            return;
        }
        try {
            cutter.finish();
        } catch (CmafException e) {
            refuse(e);
            return;
        }
        finish(new ChunkUpload.End());
        // Answered in done(), once the publisher has taken every part: the answer says whether the segment is whole.
    }

    private void cut() {
        if (!done) {
            finish(new ChunkUpload.Cut("upload_cut"));
        }
    }

    private void refuse(CmafException e) {
        int status = switch (e.reason()) {
            case "too_large", "part_too_large" -> 413;
            default -> 400;
        };
        refuse(status, e.reason(), "Bad CMAF segment", e.getMessage());
    }

    private void refuse(int status, String reason, String title, String detail) {
        if (done) {
            return;
        }
        finish(new ChunkUpload.Cut(reason));
        metrics.ingestRejected(reason);
        ClosingAnswer.closeAfter(ctx);
        Problems.send(ctx, status, title, detail);
    }

    private void finish(ChunkUpload.Item last) {
        done = true;
        if (deadlineTimer >= 0) {
            ctx.vertx().cancelTimer(deadlineTimer);
            deadlineTimer = -1;
        }
        upload.add(last);
        drain.accept(upload);
    }

    /** The publisher took the whole upload (any thread). */
    @Override
    public void done(String dropReason) {
        context.runOnContext(v -> {
            if (ctx.response().ended() || ctx.response().closed()) {
                return;
            }
            if (dropReason == null || dropReason.equals("not_root")) {
                // A standby ingest takes the upload as the root does, and publishes nothing (see DashIngest).
                ctx.response().setStatusCode(201).end();
            } else {
                metrics.ingestRejected(dropReason);
                Problems.send(ctx, 422, "Segment not published whole", "the segment's parts could not all be published: " + dropReason);
            }
        });
    }

    /** The publisher refused a part while the upload may still be arriving (any thread). */
    @Override
    public void refused(String reason, String detail) {
        context.runOnContext(v -> refuse(400, reason, "Bad CMAF fragment", detail));
    }
}

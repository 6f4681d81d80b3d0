package io.stripecast.relay.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.util.function.Consumer;

/**
 * Reads a request body up to a bound, after the request has been checked (Vert.x's BodyHandler
 * would have to run before our checks). Past the bound it answers 413, closes the connection (see {@link ClosingAnswer}) and
 * buffers nothing more; a declared Content-Length over the bound is refused before reading.
 */
public final class BoundedBody {
    private BoundedBody() {
    }

    /** @param onTooLarge called once (instead of onBody) when the body exceeds the limit */
    public static void read(RoutingContext ctx, int limit, Consumer<Buffer> onBody, Runnable onTooLarge) {
        HttpServerRequest request = ctx.request();
        String declared = request.getHeader("Content-Length");
        long length = -1;
        if (declared != null) {
            try {
                length = Long.parseLong(declared.strip());
            } catch (NumberFormatException e) {
                length = Long.MAX_VALUE;
            }
        }
        if (length > limit) {
            tooLarge(ctx, onTooLarge);
            return;
        }
        Buffer body = Buffer.buffer((int) Math.min(length > 0 ? length : 64 * 1024, limit));
        boolean[] over = {false};
        request.handler(chunk -> {
            if (over[0]) {
                return;
            }
            if ((long) body.length() + chunk.length() > limit) {
                over[0] = true;
                tooLarge(ctx, onTooLarge);
                return;
            }
            body.appendBuffer(chunk);
        });
        request.endHandler(v -> {
            if (!over[0]) {
                onBody.accept(body);
            }
        });
        request.exceptionHandler(e -> over[0] = true);
        request.resume();
    }

    private static void tooLarge(RoutingContext ctx, Runnable onTooLarge) {
        ClosingAnswer.closeAfter(ctx);
        onTooLarge.run();
    }
}

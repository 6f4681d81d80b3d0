package io.stripecast.relay.http;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * An answer after which the connection goes (a refused upload whose body is not wanted). Closing a socket with request
 * bytes still unread makes the kernel reset the connection, and a reset can destroy the answer before the client has
 * read it: the client then sees "no bytes" instead of the 413 or 400 it was sent. So the rest of the body is read and
 * dropped (nothing is kept: no memory grows) until it ends or for at most {@value #LINGER_MILLIS} ms, then the
 * connection is closed whatever the client still sends.
 */
public final class ClosingAnswer {
    static final long LINGER_MILLIS = 2_000;

    private ClosingAnswer() {
    }

    /** Call before sending the answer. */
    public static void closeAfter(RoutingContext ctx) {
        ctx.response().putHeader("Connection", "close");
        ctx.response().endHandler(v -> linger(ctx));
    }

    private static void linger(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        if (request.isEnded()) {
            request.connection().close();
            return;
        }
        long timer = ctx.vertx().setTimer(LINGER_MILLIS, t -> request.connection().close());
        request.handler(dropped -> {
        });
        request.endHandler(v -> {
            ctx.vertx().cancelTimer(timer);
            request.connection().close();
        });
        request.exceptionHandler(e -> request.connection().close());
        request.resume();
    }
}

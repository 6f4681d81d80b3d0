package io.stripecast.relay.ingest;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Pull ingest's HTTP GETs, guarded: the URI must pass {@link UpstreamGuard}, its host is resolved here and every
 * address checked, and the connection goes to the checked address ({@link RequestOptions#setServer}); the Host header
 * and TLS (SNI, certificate name) still use the name. So a name that resolves to a public address when checked and
 * to 169.254.169.254 a moment later (DNS rebinding) cannot switch the connection. Redirects are followed by hand,
 * only within the same origin, a few at most. Bodies are bounded as they stream in; every fetch has a deadline.
 *
 * <p>One {@link Round} per poll: a host is resolved once per round, and every fetch of that round goes to the same
 * checked address. Blocking: called from the pull's own thread, never from an event loop.
 */
final class UpstreamFetcher {
    private final HttpClient http;
    private final UpstreamResolver resolver;
    private final UpstreamGuard guard;
    private final Duration timeout;
    private final int maxRedirects;

    UpstreamFetcher(HttpClient http, UpstreamResolver resolver, UpstreamGuard guard, Duration timeout, int maxRedirects) {
        this.http = http;
        this.resolver = resolver;
        this.guard = guard;
        this.timeout = timeout;
        this.maxRedirects = maxRedirects;
    }

    /** Builds the fetcher of one pull URL: that URL's origin is the one every fetch of the stream may use. */
    interface Factory {
        UpstreamFetcher forPullUrl(URI pullUrl);
    }

    Round round() {
        return new Round();
    }

    /** The fetches of one poll: names resolved (and checked) once each. */
    final class Round {
        private final Map<String, Object> hosts = new HashMap<>();

        /** Throws {@link UpstreamRefused} when the URI, its address or a redirect is not allowed. */
        void check(URI uri) throws IOException {
            String refusal = guard.refuseUri(uri).orElse(null);
            if (refusal != null) {
                throw new UpstreamRefused(refusal, "refused to fetch " + uri + ": " + refusal);
            }
            address(uri.getHost());
        }

        byte[] get(URI uri, int maxBytes) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            URI current = uri;
            for (int hop = 0; ; hop++) {
                check(current);
                Answer answer = once(current, address(current.getHost()), maxBytes, deadline);
                if (answer.location == null) {
                    if (answer.status != 200) {
                        throw new IOException("GET " + current + " answered " + answer.status);
                    }
                    return answer.body;
                }
                if (hop >= maxRedirects) {
                    throw new UpstreamRefused(UpstreamGuard.TOO_MANY_REDIRECTS, "GET " + uri + ": more than " + maxRedirects + " redirects");
                }
                URI next;
                try {
                    next = current.resolve(new URI(answer.location));
                } catch (URISyntaxException | IllegalArgumentException e) {
                    throw new IOException("GET " + current + ": bad redirect location", e);
                }
                if (!UpstreamGuard.sameOrigin(next, current)) {
                    throw new UpstreamRefused(UpstreamGuard.REDIRECT_ELSEWHERE, "GET " + current + " redirects to another origin: " + next);
                }
                current = next;
            }
        }

        private InetAddress address(String host) throws IOException {
            Object known = hosts.get(host);
            if (known == null) {
                known = resolveChecked(host);
                hosts.put(host, known);
            }
            if (known instanceof UpstreamRefused refused) {
                throw new UpstreamRefused(refused.reason, refused.getMessage());
            }
            return (InetAddress) known;
        }

        private Object resolveChecked(String host) throws IOException {
            InetAddress[] addresses;
            try {
                addresses = resolver.resolve(host);
            } catch (UnknownHostException e) {
                throw new IOException("cannot resolve " + host, e);
            }
            String refusal = guard.refuseAddresses(addresses).orElse(null);
            if (refusal != null) {
                return new UpstreamRefused(refusal, "refused to fetch from " + host + ": it resolves to an address not allowed");
            }
            return addresses[0];
        }
    }

    private record Answer(int status, String location, byte[] body) {
    }

    private Answer once(URI uri, InetAddress address, int maxBytes, long deadlineNanos) throws IOException, InterruptedException {
        long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        if (left <= 0) {
            throw new IOException("GET " + uri + " timed out");
        }
        int port = UpstreamGuard.port(uri);
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
                .setHost(uri.getHost())
                .setPort(port)
                .setSsl("https".equalsIgnoreCase(uri.getScheme()))
                .setURI(uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery())
                .setFollowRedirects(false)
                .setConnectTimeout(Math.min(left, 5000))
                .setIdleTimeout(left);
        CompletableFuture<Answer> result = new CompletableFuture<>();
        HttpClientRequest[] sent = new HttpClientRequest[1];
        http.request(options).compose(request -> {
            sent[0] = request;
            return request.send();
        }).compose(response -> read(response, maxBytes)).onComplete(ar -> {
            if (ar.succeeded()) {
                result.complete(ar.result());
            } else {
                result.completeExceptionally(ar.cause());
            }
        });
        try {
            return result.get(left, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            if (sent[0] != null) {
                sent[0].reset();
            }
            throw new IOException("GET " + uri + " timed out");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof IOException io ? io : new IOException("GET " + uri + ": " + cause, cause);
        }
    }

    private static Future<Answer> read(HttpClientResponse response, int maxBytes) {
        int status = response.statusCode();
        // A reset below (a body not wanted) fails the response: expected, not worth an ERROR line.
        response.exceptionHandler(ignored -> { });
        if (status >= 300 && status < 400 && response.getHeader(HttpHeaders.LOCATION) != null) {
            String location = response.getHeader(HttpHeaders.LOCATION);
            // The redirect's own body is of no use: close rather than read it.
            response.request().reset();
            return Future.succeededFuture(new Answer(status, location, null));
        }
        if (status != 200) {
            response.request().reset();
            return Future.succeededFuture(new Answer(status, null, null));
        }
        String length = response.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null && parse(length) > maxBytes) {
            response.request().reset();
            return Future.failedFuture(new UpstreamRefused(UpstreamGuard.TOO_LARGE, "body of " + length + " bytes is larger than " + maxBytes));
        }
        Promise<Answer> done = Promise.promise();
        Buffer body = Buffer.buffer();
        response.handler(chunk -> {
            if (body.length() + chunk.length() > maxBytes) {
                response.request().reset();
                done.tryFail(new UpstreamRefused(UpstreamGuard.TOO_LARGE, "body is larger than " + maxBytes + " bytes"));
            } else {
                body.appendBuffer(chunk);
            }
        });
        response.exceptionHandler(done::tryFail);
        response.endHandler(v -> done.tryComplete(new Answer(200, null, body.getBytes())));
        return done.future();
    }

    private static long parse(String length) {
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }
}

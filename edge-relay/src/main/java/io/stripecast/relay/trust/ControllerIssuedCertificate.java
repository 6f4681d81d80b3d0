package io.stripecast.relay.trust;

import io.grpc.StatusRuntimeException;
import io.stripecast.protocol.trust.CertificateRequests;
import io.stripecast.protocol.trust.Credentials;
import io.stripecast.protocol.trust.LiveCredentials;
import io.stripecast.protocol.trust.TrustBundle;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A relay pod's certificate from the controller ({@code stripecast.tls.issuer=controller}, docs/trust.md): asked for
 * at start, asked for again at two thirds of its remaining lifetime, and swapped into the {@link LiveCredentials} both
 * planes' TLS contexts read, so new connections present the new one and open connections keep theirs.
 */
public final class ControllerIssuedCertificate implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ControllerIssuedCertificate.class);
    private static final Duration CALL_DEADLINE = Duration.ofSeconds(10);
    private static final Duration RETRY_MIN = Duration.ofMillis(200);
    private static final Duration RETRY_MAX = Duration.ofSeconds(5);

    private final String controller;
    private final TrustBundle ca;
    private final String pool;
    private final String pod;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "relay-certificate-renewal");
        t.setDaemon(true);
        return t;
    });
    private LiveCredentials live;

    public ControllerIssuedCertificate(String controller, TrustBundle ca, String pool, String pod) {
        this.controller = controller;
        this.ca = ca;
        this.pool = pool;
        this.pod = pod;
    }

    /**
     * The first certificate, asking until {@code giveUpAfter} has passed (the controller may still be starting, the
     * pod's IP not yet in the API); then renewal in the background. Blocks: call it at start, off any event loop.
     */
    public synchronized LiveCredentials start(Duration giveUpAfter) {
        Instant deadline = Instant.now().plus(giveUpAfter);
        Duration wait = RETRY_MIN;
        while (true) {
            try {
                Credentials first = CertificateRequests.request(controller, ca, pool, pod, CALL_DEADLINE);
                live = new LiveCredentials(first, ca);
                LOG.infof("certificate for %s from the controller at %s (serial %s, until %s)", first.identity(), controller,
                        serial(first), first.certificate().getNotAfter().toInstant());
                scheduleRenewal(first);
                return live;
            } catch (StatusRuntimeException | IllegalStateException e) {
                if (Instant.now().plus(wait).isAfter(deadline)) {
                    throw new IllegalStateException("no certificate from the controller at " + controller + " within " + giveUpAfter
                            + ": " + e.getMessage(), e);
                }
                LOG.warnf("no certificate from the controller at %s yet (%s); asking again in %d ms", controller, e.getMessage(), wait.toMillis());
                try {
                    Thread.sleep(wait.toMillis()); // start-up only: nothing else runs until the relay has its identity
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while asking for a certificate", ie);
                }
                wait = min(wait.multipliedBy(2), RETRY_MAX);
            }
        }
    }

    private void scheduleRenewal(Credentials current) {
        Duration remaining = Duration.between(Instant.now(), current.certificate().getNotAfter().toInstant());
        schedule(max(Duration.ofMillis(100), remaining.multipliedBy(2).dividedBy(3)), RETRY_MIN);
    }

    private void schedule(Duration delay, Duration nextRetry) {
        if (timer.isShutdown()) {
            return;
        }
        timer.schedule(() -> renew(nextRetry), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void renew(Duration retry) {
        try {
            Credentials renewed = CertificateRequests.request(controller, ca, pool, pod, CALL_DEADLINE);
            live.set(renewed);
            LOG.infof("certificate renewed (serial %s, until %s)", serial(renewed), renewed.certificate().getNotAfter().toInstant());
            scheduleRenewal(renewed);
        } catch (RuntimeException e) {
            // Open connections keep working; only new handshakes need a valid certificate. Keep asking.
            LOG.warnf("certificate renewal failed (%s); the current one is valid until %s; asking again in %d ms", e.getMessage(),
                    live.get().certificate().getNotAfter().toInstant(), retry.toMillis());
            schedule(retry, min(retry.multipliedBy(2), RETRY_MAX));
        }
    }

    private static String serial(Credentials c) {
        return c.certificate().getSerialNumber().toString(16);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) < 0 ? a : b;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) > 0 ? a : b;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}

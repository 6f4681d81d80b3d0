package io.stripecast.relay.admin;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.stripecast.relay.FakeParentResource;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16, point 3: admin, metrics and health are on the management port, not on the public one; a drain needs the
 * configured random token (the test profile's), without or with a wrong one it is 403.
 */
@QuarkusTest
@QuarkusTestResource(FakeParentResource.class)
class ManagementPortAttackTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @TestHTTPResource("/")
    URL publicBase;
    @TestHTTPResource(value = "/", management = true)
    URL management;

    private static int status(URL base, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base.toString()).resolve(path)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header(DrainRoute.TOKEN_HEADER, token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void adminMetricsAndHealthAreAbsentOnThePublicPort() throws Exception {
        assertThat(URI.create(management.toString()).getPort()).isNotEqualTo(URI.create(publicBase.toString()).getPort());
        for (String path : new String[] {"/q/metrics", "/q/health", "/q/health/ready", "/q/health/live", "/admin/drain"}) {
            assertThat(status(publicBase, path, null)).as("public %s", path).isEqualTo(404);
        }
        assertThat(status(publicBase, "/admin/drain", "test-drain-token-0123456789")).as("public drain with the token").isEqualTo(404);
    }

    @Test
    void metricsAndHealthAreOnTheManagementPort() throws Exception {
        assertThat(status(management, "/q/metrics", null)).isEqualTo(200);
        assertThat(status(management, "/q/health/live", null)).isEqualTo(200);
    }

    @Test
    void drainWithoutTheTokenIsForbiddenOnTheManagementPort() throws Exception {
        assertThat(status(management, "/admin/drain", null)).isEqualTo(403);
        assertThat(status(management, "/admin/drain", "wrong-token-0123456789")).isEqualTo(403);
        assertThat(status(management, "/admin/drain", "")).isEqualTo(403);
        // Near misses: a prefix, the token with one more character, one character changed.
        assertThat(status(management, "/admin/drain", "test-drain-token-012345678")).isEqualTo(403);
        assertThat(status(management, "/admin/drain", "test-drain-token-01234567890")).isEqualTo(403);
        assertThat(status(management, "/admin/drain", "test-drain-token-0123456788")).isEqualTo(403);
        // This relay has no controller (static topology): a drain with the token moves nobody and answers at once.
        assertThat(status(management, "/admin/drain", "test-drain-token-0123456789")).isEqualTo(200);
    }
}

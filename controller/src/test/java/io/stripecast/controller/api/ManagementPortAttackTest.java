package io.stripecast.controller.api;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16, points 3 and 4: the controller's health, metrics, topology API and page are on the management port only,
 * read-only, and without wildcard CORS.
 */
@QuarkusTest
class ManagementPortAttackTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @TestHTTPResource("/")
    URL publicBase;
    @TestHTTPResource(value = "/", management = true)
    URL management;

    private static HttpResponse<String> send(URL base, String method, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base.toString()).resolve(path)).timeout(Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void nothingButNotFoundOnThePublicPort() throws Exception {
        for (String path : new String[] {"/q/metrics", "/q/health", "/q/health/ready", "/api/v1/streams", "/api/v1/relays",
                "/api/v1/streams/live/forest", "/admin/drain"}) {
            assertThat(send(publicBase, "GET", path).statusCode()).as("public %s", path).isEqualTo(404);
        }
        assertThat(send(publicBase, "GET", "/").body()).as("the topology page is not public").doesNotContain("/api/v1");
    }

    @Test
    void topologyApiIsReadOnlyOnTheManagementPortWithoutWildcardCors() throws Exception {
        HttpResponse<String> streams = send(management, "GET", "/api/v1/streams");
        assertThat(streams.statusCode()).isEqualTo(200);
        assertThat(streams.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        assertThat(send(management, "GET", "/").body()).contains("/api/v1/streams");
        assertThat(send(management, "POST", "/api/v1/streams").statusCode()).isIn(404, 405);
        assertThat(send(management, "DELETE", "/api/v1/streams/live/forest").statusCode()).isIn(404, 405);
        assertThat(send(management, "GET", "/q/metrics").statusCode()).isEqualTo(200);
        assertThat(send(management, "GET", "/q/health/live").statusCode()).isEqualTo(200);
    }
}

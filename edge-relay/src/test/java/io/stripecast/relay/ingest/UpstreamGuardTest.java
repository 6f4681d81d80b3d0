package io.stripecast.relay.ingest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 16, SSRF guard: which URIs and addresses pull ingest may fetch, without any network. */
class UpstreamGuardTest {
    private final UpstreamGuard guard = new UpstreamGuard(URI.create("https://origin.example.com/live/index.m3u8"),
            List.of("cdn.example.net"), List.of());

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
            "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1", "192.0.0.8", "::1", "::", "fe80::1",
            "fd00::1", "fc00::5", "ff02::1", "::ffff:169.254.169.254", "::ffff:10.1.2.3", "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::1", "::10.0.0.1"})
    void internalAddressesAreRefused(String literal) {
        assertThat(guard.refuseAddresses(FakeDns.addresses(literal))).as(literal).contains(UpstreamGuard.FORBIDDEN_ADDRESS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"93.184.215.14", "8.8.8.8", "2606:4700::1111", "64:ff9b::808:808"})
    void publicAddressesAreAllowed(String literal) {
        assertThat(guard.refuseAddresses(FakeDns.addresses(literal))).as(literal).isEmpty();
    }

    @Test
    void everyAddressANameResolvesToIsChecked() {
        assertThat(guard.refuseAddresses(FakeDns.addresses("93.184.215.14", "169.254.169.254"))).isPresent();
        assertThat(guard.refuseAddresses(FakeDns.addresses())).isPresent();
    }

    @Test
    void allowedNetworksOpenOnlyTheirRange() {
        UpstreamGuard cluster = new UpstreamGuard(URI.create("http://origin.svc/index.m3u8"), List.of(),
                List.of(AddressRange.parse("10.96.0.0/12"), AddressRange.parse("127.0.0.1")));
        assertThat(cluster.refuseAddresses(FakeDns.addresses("10.96.3.4"))).isEmpty();
        assertThat(cluster.refuseAddresses(FakeDns.addresses("127.0.0.1"))).isEmpty();
        assertThat(cluster.refuseAddresses(FakeDns.addresses("10.112.0.1"))).isPresent();
        assertThat(cluster.refuseAddresses(FakeDns.addresses("127.0.0.2"))).isPresent();
        assertThat(cluster.refuseAddresses(FakeDns.addresses("169.254.169.254"))).isPresent();
    }

    @Test
    void allowedNetworksAreLiteralsOnly() {
        assertThatThrownBy(() -> AddressRange.parse("metadata.google.internal/32")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AddressRange.parse("10.0.0.0/33")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void onlyThePullUrlsOriginAndConfiguredHostsMayBeFetched() {
        assertThat(guard.refuseUri(URI.create("https://origin.example.com/live/seg1.ts"))).isEmpty();
        assertThat(guard.refuseUri(URI.create("https://ORIGIN.example.com:443/other/seg1.ts"))).isEmpty();
        assertThat(guard.refuseUri(URI.create("https://cdn.example.net:8443/seg1.ts"))).isEmpty();
        assertThat(guard.refuseUri(URI.create("http://origin.example.com/live/seg1.ts"))).contains(UpstreamGuard.OTHER_ORIGIN);
        assertThat(guard.refuseUri(URI.create("https://origin.example.com:8443/live/seg1.ts"))).contains(UpstreamGuard.OTHER_ORIGIN);
        assertThat(guard.refuseUri(URI.create("http://169.254.169.254/latest/meta-data/"))).contains(UpstreamGuard.OTHER_ORIGIN);
        assertThat(guard.refuseUri(URI.create("https://user@origin.example.com/live/seg1.ts"))).contains(UpstreamGuard.OTHER_ORIGIN);
        assertThat(guard.refuseUri(URI.create("file:///etc/passwd"))).contains(UpstreamGuard.SCHEME);
        assertThat(guard.refuseUri(URI.create("gopher://origin.example.com/x"))).contains(UpstreamGuard.SCHEME);
    }
}

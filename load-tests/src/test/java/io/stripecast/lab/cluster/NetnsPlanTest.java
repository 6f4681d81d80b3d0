package io.stripecast.lab.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NetnsPlanTest {
    private final NetnsPlan plan = new NetnsPlan("a1f0", 213);

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 9, 248, 249, 250, 999, 63_998})
    void interfaceNamesFitLinuxAndAddressesStayInThePrivateSubnet(int slot) {
        assertThat(plan.hostVeth(slot)).hasSizeLessThanOrEqualTo(15).startsWith("sch");
        assertThat(plan.nsVeth(slot)).hasSizeLessThanOrEqualTo(15).startsWith("scn");
        assertThat(plan.bridge()).hasSizeLessThanOrEqualTo(15);
        assertThat(plan.tun(slot)).hasSizeLessThanOrEqualTo(15).startsWith("sct");
        assertThat(plan.hostTun()).hasSizeLessThanOrEqualTo(15).startsWith("sclab");
        String a = plan.address(slot);
        assertThat(a).startsWith("10.213.").isNotEqualTo(plan.hostAddress());
        String[] octets = a.split("\\.");
        assertThat(Integer.parseInt(octets[3])).isBetween(1, 254);
    }

    @Test
    void everyRelayGetsItsOwnAddressAndNames() {
        Set<String> addresses = new HashSet<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < 2_000; i++) {
            assertThat(addresses.add(plan.address(i))).as("address of slot %d", i).isTrue();
            assertThat(names.add(plan.hostVeth(i))).isTrue();
            assertThat(names.add(plan.nsVeth(i))).isTrue();
        }
        assertThat(addresses).doesNotContain(plan.hostAddress());
    }

    @Test
    void commandsTouchOnlyTheLabsOwnObjects() {
        List<List<String>> all = new java.util.ArrayList<>(plan.createBridge());
        all.addAll(plan.createRelayNamespace(3));
        all.add(plan.cut(3));
        all.add(plan.heal(3));
        all.add(plan.deleteNamespace(3));
        all.add(plan.deleteBridge());
        for (List<String> cmd : all) {
            assertThat(cmd.get(0)).isEqualTo("ip");
            for (String arg : cmd) {
                assertThat(arg).as("argument of %s", cmd).doesNotStartWith("eth").doesNotStartWith("en").doesNotStartWith("wl");
            }
        }
        assertThat(plan.createRelayNamespace(3)).contains(
                List.of("ip", "link", "add", "scha1f03", "type", "veth", "peer", "name", "scna1f03"),
                List.of("ip", "link", "set", "scha1f03", "master", "sclabba1f0"),
                List.of("ip", "-n", "sclab-a1f0-3", "addr", "add", "10.213.0.5/16", "dev", "scna1f03"));
        assertThat(plan.cut(3)).containsExactly("ip", "link", "set", "scha1f03", "down");
        assertThat(plan.inNamespace(3)).containsExactly("ip", "netns", "exec", "sclab-a1f0-3");
    }

    @Test
    void aFreshPlanAvoidsSubnetsTheHostRoutes() {
        StringBuilder routes = new StringBuilder();
        for (int x = 200; x < 250; x++) {
            if (x % 5 != 0) { // 200, 205, ..., 245 are free
                routes.append("10.").append(x).append(".0.0/16 dev br").append(x).append('\n');
            }
        }
        for (long seed = 0; seed < 20; seed++) {
            NetnsPlan fresh = NetnsPlan.fresh(routes.toString(), new java.util.Random(seed));
            assertThat(fresh.second() % 5).as("10.%d is routed", fresh.second()).isZero();
            assertThat(fresh.tag()).matches("[0-9a-f]{4}");
        }
        StringBuilder all = new StringBuilder(routes);
        for (int x = 200; x < 250; x += 5) {
            all.append("10.").append(x).append(".7.0/24 dev x\n");
        }
        assertThatThrownBy(() -> NetnsPlan.fresh(all.toString(), new java.util.Random(7))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aTunNamespaceOnlyBringsUpLoopback() {
        assertThat(plan.createTunNamespace(3)).containsExactly(
                List.of("ip", "netns", "add", "sclab-a1f0-3"),
                List.of("ip", "-n", "sclab-a1f0-3", "link", "set", "lo", "up"));
        assertThat(plan.tun(3)).isEqualTo("scta1f03");
        assertThat(plan.hostTun()).isEqualTo("sclabta1f0");
        assertThat(plan.probeNamespace()).isEqualTo("sclab-a1f0-probe");
    }

    @Test
    void badTagsAndSubnetsAreRefused() {
        assertThatThrownBy(() -> new NetnsPlan("xyz!", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NetnsPlan("abcd", 256)).isInstanceOf(IllegalArgumentException.class);
    }
}

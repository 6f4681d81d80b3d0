package io.stripecast.lab.cluster;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LinkMechanismTest {
    private static final LinkShape DELAY_AND_LOSS = new LinkShape(10, 0.1, 50);
    private static final LinkShape RATE_ONLY = new LinkShape(0, 0, 0.3);

    @Test
    void autoTakesTheEmulatorOnlyForDelayOrLossWithoutNetem() {
        assertThat(LinkMechanism.choose("auto", DELAY_AND_LOSS, () -> false, () -> null).mechanism()).isEqualTo(LinkMechanism.USERSPACE);
        assertThat(LinkMechanism.choose("auto", DELAY_AND_LOSS, () -> true, () -> null).mechanism()).isEqualTo(LinkMechanism.TC);
        assertThat(LinkMechanism.choose("auto", RATE_ONLY, () -> false, () -> null).mechanism()).isEqualTo(LinkMechanism.TC);
        assertThat(LinkMechanism.choose("auto", LinkShape.NONE, () -> false, () -> null).mechanism()).isEqualTo(LinkMechanism.TC);
    }

    @Test
    void autoProbesNetemOnlyWhenTheShapeNeedsIt() {
        AtomicInteger probes = new AtomicInteger();
        BooleanSupplier netem = () -> {
            probes.incrementAndGet();
            return false;
        };
        LinkMechanism.choose("auto", RATE_ONLY, netem, () -> null);
        LinkMechanism.choose("tc", DELAY_AND_LOSS, netem, () -> null);
        LinkMechanism.choose("userspace", DELAY_AND_LOSS, netem, () -> null);
        assertThat(probes).hasValue(0);
    }

    @Test
    void withoutTheEmulatorItFallsBackToTcAndSaysWhy() {
        LinkMechanism.Choice auto = LinkMechanism.choose("auto", DELAY_AND_LOSS, () -> false, () -> "no gcc to build x");
        assertThat(auto.mechanism()).isEqualTo(LinkMechanism.TC);
        assertThat(auto.why()).contains("no sch_netem").contains("no gcc");
        LinkMechanism.Choice forced = LinkMechanism.choose("userspace", LinkShape.NONE, () -> true, () -> "no /dev/net/tun");
        assertThat(forced.mechanism()).isEqualTo(LinkMechanism.TC);
        assertThat(forced.why()).contains("no /dev/net/tun");
    }

    @Test
    void forcedSettingsWinOverTheKernel() {
        assertThat(LinkMechanism.choose("userspace", LinkShape.NONE, () -> true, () -> null).mechanism()).isEqualTo(LinkMechanism.USERSPACE);
        assertThat(LinkMechanism.choose("tc", DELAY_AND_LOSS, () -> false, () -> null).mechanism()).isEqualTo(LinkMechanism.TC);
        assertThatThrownBy(() -> LinkMechanism.choose("ebpf", LinkShape.NONE, () -> true, () -> null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

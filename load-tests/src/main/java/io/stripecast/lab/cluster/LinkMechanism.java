package io.stripecast.lab.cluster;

import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What shapes and cuts the relays' links in network namespaces: the kernel ({@code tc} on veth pairs to a
 * bridge: {@link NetnsNetwork}) or the userspace emulator ({@code sclab-link} between TUN devices:
 * {@link TunNetwork}). The scenario key {@code link-emulator} is {@code auto}, {@code tc} or {@code userspace}.
 */
public enum LinkMechanism {
    TC, USERSPACE;

    public static final List<String> SETTINGS = List.of("auto", "tc", "userspace");

    /** The mechanism and why, for the report. */
    public record Choice(LinkMechanism mechanism, String why) {
    }

    /**
     * {@code auto} takes the emulator only when the shape needs delay or loss and the kernel has no netem;
     * {@code userspace} takes it whenever it can run. Without it (no gcc, no /dev/net/tun) it is tc, as before.
     *
     * @param netem               whether {@code tc} can attach netem here (asked only when it matters)
     * @param emulatorUnavailable why the emulator cannot run here, or null (asked only when it matters)
     */
    public static Choice choose(String setting, LinkShape shape, BooleanSupplier netem, Supplier<String> emulatorUnavailable) {
        switch (setting) {
            case "tc":
                return new Choice(TC, "links shaped by tc on veth pairs (link-emulator=tc)");
            case "userspace": {
                String why = emulatorUnavailable.get();
                return why == null
                        ? new Choice(USERSPACE, "links shaped by the userspace emulator sclab-link between TUN devices (link-emulator=userspace)")
                        : new Choice(TC, "link-emulator=userspace, but the emulator cannot run here (" + why + "): links shaped by tc on veth pairs");
            }
            case "auto": {
                if (!shape.needsNetem()) {
                    return new Choice(TC, "links shaped by tc on veth pairs (" + (shape.isNone() ? "no shape" : "a rate alone") + " needs no netem)");
                }
                if (netem.getAsBoolean()) {
                    return new Choice(TC, "links shaped by tc netem on veth pairs");
                }
                String why = emulatorUnavailable.get();
                return why == null
                        ? new Choice(USERSPACE, "this kernel has no sch_netem: links shaped by the userspace emulator sclab-link between TUN devices")
                        : new Choice(TC, "this kernel has no sch_netem and the userspace emulator cannot run here (" + why
                        + "): links shaped by tc on veth pairs");
            }
            default:
                throw new IllegalArgumentException("link-emulator is one of " + SETTINGS + ": " + setting);
        }
    }
}

package io.stripecast.lab.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How one relay's link behaves: added delay, random loss and a rate limit, each optional (0 = off).
 * Turned into {@code tc} commands for one interface; applied on both ends of a relay's veth, so the
 * delay counts once per direction and the rate bounds upload and download alike.
 */
public record LinkShape(double delayMs, double lossPercent, double rateMbit) {
    public static final LinkShape NONE = new LinkShape(0, 0, 0);

    public LinkShape {
        if (!(delayMs >= 0) || !(lossPercent >= 0 && lossPercent <= 100) || !(rateMbit >= 0)) {
            throw new IllegalArgumentException("link shape out of range: delay " + delayMs + " ms, loss " + lossPercent
                    + " %, rate " + rateMbit + " Mbit/s");
        }
    }

    public boolean isNone() {
        return delayMs == 0 && lossPercent == 0 && rateMbit == 0;
    }

    /** Delay or loss: only netem does those. */
    public boolean needsNetem() {
        return delayMs > 0 || lossPercent > 0;
    }

    /** {@code tc qdisc replace dev <dev> root netem delay .. loss .. rate ..} with only the parts that are set. */
    public List<String> netem(String dev) {
        List<String> cmd = new ArrayList<>(List.of("tc", "qdisc", "replace", "dev", dev, "root", "netem"));
        if (delayMs > 0) {
            cmd.addAll(List.of("delay", num(delayMs) + "ms"));
        }
        if (lossPercent > 0) {
            cmd.addAll(List.of("loss", num(lossPercent) + "%"));
        }
        if (rateMbit > 0) {
            cmd.addAll(List.of("rate", num(rateMbit) + "mbit"));
        }
        return cmd;
    }

    /**
     * The rate alone through a token bucket, for kernels built without netem. The bucket holds at least
     * 16 KiB and 20 ms of the rate, so one full-size packet always fits and short bursts pass as on a real link.
     */
    public List<String> tbf(String dev) {
        if (rateMbit <= 0) {
            throw new IllegalStateException("tbf needs a rate");
        }
        long burstBytes = Math.max(16 * 1024, (long) (rateMbit * 1e6 / 8 * 0.020));
        return List.of("tc", "qdisc", "replace", "dev", dev, "root", "tbf", "rate", num(rateMbit) + "mbit",
                "burst", Long.toString(burstBytes), "latency", "400ms");
    }

    public static List<String> clear(String dev) {
        return List.of("tc", "qdisc", "del", "dev", dev, "root");
    }

    @Override
    public String toString() {
        return isNone() ? "none" : "delay " + num(delayMs) + " ms, loss " + num(lossPercent) + " %, rate "
                + (rateMbit > 0 ? num(rateMbit) + " Mbit/s" : "unlimited");
    }

    static String num(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.format(Locale.ROOT, "%.3f", d).replaceAll("0+$", "");
    }
}

package io.stripecast.protocol;

import java.util.regex.Pattern;

/** The naming rules of stripecast.v1, for every name that arrives from outside (URLs, gRPC peers, files, control messages). */
public final class Names {
    private static final Pattern STREAM = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
    private static final Pattern RELAY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** Plain file names only: no separators, no leading dot, so no traversal is expressible. */
    private static final Pattern FILE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private Names() {
    }

    public static boolean isStreamName(String s) {
        return s != null && STREAM.matcher(s).matches();
    }

    public static boolean isRelayId(String s) {
        return s != null && RELAY.matcher(s).matches();
    }

    public static boolean isFileName(String s) {
        return s != null && FILE.matcher(s).matches() && !s.contains("..");
    }
}

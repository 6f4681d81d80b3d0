package io.stripecast.crds;

/** The bounds the schema declares; the operator checks the same ones, so a server without CEL cannot slip one by. */
public final class Limits {
    public static final int MAX_STRIPES = 32;
    public static final int MIN_WINDOW_SECONDS = 4;
    public static final int MAX_WINDOW_SECONDS = 3600;
    public static final double MAX_BITRATE_MBPS = 10_000;
    public static final int MAX_MESH_PEERS = 64;
    public static final int MAX_ICE_SERVERS = 8;
    public static final int MAX_REPLICAS = 1000;
    public static final double MAX_UPLINK_MBPS = 400_000;
    /**
     * A RelayPool name becomes the prefix of object names such as {@code <pool>-ingest}; 40 characters leave room
     * for the suffixes and the pod hash inside the 63-character label limit.
     */
    public static final String DNS_LABEL = "^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$";
    public static final String DNS_SUBDOMAIN = "^[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$";

    private Limits() {
    }
}

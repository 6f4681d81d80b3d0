package io.stripecast.relay.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Every setting of the relay, under {@code stripecast.*}; the README's settings table documents each key. */
@ConfigMapping(prefix = "stripecast")
public interface RelaySettings {

    Relay relay();

    /** Streams this relay carries, by name. Until the controller assigns streams they are declared here. */
    Map<String, StreamSettings> streams();

    Limits limits();

    /** Mutual TLS on the data plane and towards the controller (on by default). */
    Tls tls();

    interface Tls {
        /** This relay's certificate (PEM), issued by our CA with its identity (SAN URI spiffe://stripecast/...relay/<id>). */
        Optional<String> cert();

        /** Its private key (PEM, PKCS#8). */
        Optional<String> key();

        /** The CA certificate (PEM): the only issuer whose parents, children and controller this relay accepts. */
        Optional<String> ca();

        /** Plaintext gRPC on both planes: only when set explicitly, and logged as a WARN at start. */
        @WithDefault("false")
        boolean plaintext();

        /**
         * Where this relay's certificate comes from: {@code files} (cert and key above) or {@code controller}: a key
         * made at start and a certificate the controller signs (Trust.Sign, verified against {@code ca}), renewed at
         * two thirds of its lifetime. The operator sets {@code controller} on relay pods.
         */
        @WithDefault("files")
        String issuer();
    }

    Pull pull();

    Tracker tracker();

    Playback playback();

    /** Signed, expiring playback URLs (issue 16): see docs/public-edge.md, "Signed playback URLs". */
    interface Playback {
        /**
         * How far in the future a signed URL's expiry may lie; a later one is refused ({@code too_far}): a token minted
         * for years would be as good as the key.
         */
        @WithDefault("168h")
        Duration maxTokenLifetime();

        /**
         * A memory-backed directory (tmpfs; in Kubernetes an emptyDir with medium Memory) where complete segments of
         * watched streams are copied once and sent to plaintext viewers with sendfile (docs/data-path.md, "Serving
         * viewers"). Unset: every segment is served from the window's memory.
         */
        Optional<String> segmentFilesDir();

        /** The most those copies take together, bytes; the oldest make room for the newest. */
        @WithDefault("268435456")
        long segmentFilesMaxBytes();

        /**
         * Copies are made for a stream only while at least this many viewers asked for one of its two newest segments:
         * a copy costs about what serving from the window costs five viewers (measured: load-tests/BENCHMARKS.md).
         */
        @WithDefault("8")
        int segmentFilesMinViewers();
    }

    /** Who may open the mesh tracker's WebSocket (issue 16): see docs/public-edge.md. */
    interface Tracker {
        /**
         * Origins ({@code https://player.example.com}) whose pages may use this edge's tracker, besides the edge's own
         * (the Host the browser asked, and the playback URL's origin). A socket without an Origin header (no browser)
         * is let in; the per-address cap bounds those.
         */
        Optional<java.util.List<String>> allowedOrigins();

        /** Tracker sockets one client address may hold at once; more are answered 429 before the upgrade. */
        @WithDefault("16")
        int maxSocketsPerAddress();
    }

    /** What pull ingest may fetch (issue 16, SSRF guard): see docs/public-edge.md. */
    interface Pull {
        /**
         * Hosts besides the pull URL's own origin that playlists may point segments at (a CDN holding the segments),
         * by name, any port, http or https. Everything else is refused and counted.
         */
        Optional<java.util.List<String>> allowedHosts();

        /**
         * Address ranges (CIDR literals, e.g. {@code 10.96.0.0/12}, {@code 127.0.0.1/32}) pull ingest may reach although
         * they are loopback, link-local, private or otherwise internal. None by default: an origin inside the cluster
         * or on the host needs its range listed here.
         */
        Optional<java.util.List<String>> allowedNetworks();

        /** Redirects followed at most per fetch, each only within the same origin. */
        @WithDefault("3")
        int maxRedirects();

        /** Deadline of one fetch (playlist or segment), redirects included. */
        @WithDefault("10s")
        Duration timeout();
    }

    interface Relay {
        /** This relay's id: names it in the topology file and in its children's metrics. */
        @WithDefault("relay-0")
        String id();

        /** Port of the gRPC data-plane server (shard push). */
        @WithDefault("9100")
        int grpcPort();

        /** Interface the gRPC server binds. */
        @WithDefault("0.0.0.0")
        String grpcHost();

        /**
         * Static topology file (no-controller mode): per stream and stripe, each relay's parent.
         * Without it the relay is a standalone ingest for every configured stream.
         */
        Optional<String> topologyFile();

        /** First reconnect delay after a parent goes away; doubles up to reconnect-max. */
        @WithDefault("100ms")
        Duration reconnectInitial();

        @WithDefault("3s")
        Duration reconnectMax();

        /**
         * How long a complete segment may still miss a stripe this relay forwards before the relay
         * regenerates that shard itself (when its parent in that stripe is connected; when the
         * parent is gone it regenerates at once).
         */
        @WithDefault("750ms")
        Duration regenerateGrace();

        /** Per-child send queue bound, in shards; a child further behind is cut off. */
        @WithDefault("256")
        int childQueueShards();

        /** Controller's control-plane address (host:port). With it, assignments come from the controller. */
        Optional<String> controller();

        /** host:port other relays use to reach this relay's data plane; default 127.0.0.1:grpc-port. */
        Optional<String> advertiseAddress();

        /** Base URL of this relay's playback, shown by the topology API; default http://127.0.0.1:http-port. */
        Optional<String> playbackUrl();

        /** Failure domain (zone), for the planner's zone preference. */
        Optional<String> zone();

        /** The RelayPool this relay belongs to (Kubernetes): streams of that pool only are assigned to it. */
        Optional<String> pool();

        /** A pool's ingest relay: the controller roots the pool's streams here. */
        @WithDefault("false")
        boolean ingest();

        /**
         * Token for {@code GET /admin/drain} on the management port (a drain by hand; a pod drains itself on SIGTERM): with it the relay drains
         * while still serving viewers. Without a token every drain request is refused (403). In Kubernetes it comes
         * from the pool's Secret {@code <pool>-drain-token}.
         */
        Optional<String> drainToken();

        /** Uplink capacity, Mbit/s: the planner derives this relay's fanout from it. */
        @WithDefault("1000")
        double uplinkMbps();

        /** On SIGTERM, how long to wait for the controller to move this relay's children before exiting. */
        @WithDefault("20s")
        Duration drainGrace();

        /** An on-demand stream nobody watched here for this long is left. */
        @WithDefault("60s")
        Duration onDemandIdle();

        /** How long a viewer's first request for an on-demand stream waits for the stream to arrive. */
        @WithDefault("10s")
        Duration onDemandWait();

        /**
         * Demands this relay sends the controller per second at most (a token bucket of this rate), whatever its
         * viewers ask: a viewer waiting for a throttled Demand is asked for again on its next poll of the wait.
         */
        @WithDefault("5")
        double demandRate();

        /** The Demand bucket's size: this many Demands may go at once after a quiet spell. */
        @WithDefault("10")
        int demandBurst();
    }

    interface StreamSettings {
        /** Data stripes. */
        int k();

        /** Parity stripes. */
        @WithDefault("1")
        int m();

        /** Seconds of history every relay keeps (and playlists list). */
        @WithDefault("30s")
        Duration window();

        /** Publisher key: ingest needs {@code Authorization: Bearer <key>} or {@code X-Stream-Key}. */
        Optional<String> key();

        /** Pull ingest: an upstream HLS media playlist URL polled instead of accepting PUTs. */
        Optional<String> pullUrl();

        /**
         * Signed, expiring playback URLs: the HMAC key (32-256 printable ASCII characters) viewers' tokens are checked
         * with. Without it (and without one from the controller) playback of the stream is open.
         */
        Optional<String> playbackSigningKey();

        @WithDefault("500ms")
        Duration pullInterval();

        /** Leaf-viewer mesh: browser viewers share segments over WebRTC, this relay is their tracker. */
        Mesh mesh();
    }

    interface Mesh {
        @WithDefault("false")
        boolean enabled();

        /** Peers a viewer connects to at most (handed to the player page). */
        @WithDefault("8")
        int maxPeers();

        /** STUN/TURN URLs handed to browsers; none are needed when viewers share a host or LAN. */
        Optional<java.util.List<String>> iceServers();

        /** User name for the {@code turn:}/{@code turns:} URLs of {@link #iceServers()} (a static TURN user). */
        Optional<String> iceUsername();

        /** Credential for the {@code turn:}/{@code turns:} URLs; every viewer's page carries it. */
        Optional<String> iceCredential();

        /**
         * TURN REST API shared secret (coturn's {@code static-auth-secret}): each page gets its own user name and
         * credential derived from it, expiring after {@link #turnCredentialTtl()}; wins over a static user.
         */
        Optional<String> turnSecret();

        /** Lifetime of the TURN credentials derived for one page. */
        @WithDefault("1h")
        Duration turnCredentialTtl();

        /** {@code all} (direct candidates and relays) or {@code relay} (TURN only: no viewer learns another's address). */
        @WithDefault("all")
        IcePolicy iceTransportPolicy();
    }

    enum IcePolicy {
        all, relay
    }

    interface Limits {
        /** Largest segment accepted (bytes); DESIGN.md sets 32 MiB. */
        @WithDefault("33554432")
        int maxSegmentBytes();

        @WithDefault("1048576")
        int maxPlaylistBytes();

        @WithDefault("10000")
        int maxPlaylistEntries();

        /**
         * Hard bound on one stream's window memory, whatever its duration; every stream's window together is
         * bound by {@link #windowMemory()} as well.
         */
        @WithDefault("536870912")
        long maxWindowBytes();

        /**
         * Memory every stream's window shares on this relay (shards, complete segments, incomplete ones):
         * {@code NN%} of the heap's maximum, or bytes ({@code k}/{@code m}/{@code g} suffixes). Half the heap by
         * default: the other half is for what is in flight (shards being parsed and rebuilt, uploads, responses).
         */
        @WithDefault("50%")
        String windowMemory();

        /** A segment still incomplete this long after its first shard arrived here is dropped (counted). */
        @WithDefault("10s")
        Duration incompleteSegmentTimeout();

        /** A listed segment whose bytes never arrive is dropped (and counted) after this. */
        @WithDefault("15s")
        Duration pendingSegmentTimeout();

        /** Viewers in one tracker swarm at most. */
        @WithDefault("256")
        int maxSwarmPeers();

        /** Tracker messages per second one viewer may send; more closes its socket (1008). */
        @WithDefault("20")
        int maxTrackerMessagesPerSecond();

        /** Uploaded bytes no playlist lists yet: at most this many files are kept per stream. */
        /**
         * Playlist requests held at once for a segment not listed yet (LL-HLS blocking reload, {@code _HLS_msn});
         * more are answered 503 at once. Each is an open connection and a few hundred bytes.
         */
        @WithDefault("4096")
        int maxHeldPlaylists();

        /**
         * Part requests held at once for a part not here yet (an LL-HLS preload hint fetched before the part exists);
         * more are answered 503 at once. Apart from {@link #maxHeldPlaylists()}: a flood of hints cannot take the places
         * of blocking playlist reloads.
         */
        @WithDefault("4096")
        int maxHeldParts();

        /** Wrong publisher keys one client address may send before it has to wait (issue 16: backoff after failed keys). */
        @WithDefault("5")
        int keyFailuresBeforeBackoff();

        /** Longest wait after wrong keys: the wait starts at 1 s and doubles with every further wrong key up to this. */
        @WithDefault("300s")
        Duration keyBackoffMax();

        /** Client addresses (IPv6: /64 prefixes) whose wrong keys are remembered at most; the least recent go first. */
        @WithDefault("10000")
        int keyFailureAddresses();

        /**
         * Largest part of a CMAF segment uploaded by ffmpeg's DASH muxer (one or more whole fragments): the ingest holds at
         * most one part per upload in memory while it arrives.
         */
        @WithDefault("8388608")
        int maxPartBytes();

        /**
         * A DASH segment upload (a chunked PUT that lasts as long as its segment) still open this long after it started is
         * cut off (408) and counted; its parts already sent stay, the segment never gets its end (edges treat it as
         * incomplete). About 3x the longest segment: a stalled or endless upload must not hold a slot forever.
         */
        @WithDefault("30s")
        Duration uploadDeadline();

        /** DASH segment uploads one stream may have open at once (ffmpeg keeps one per rendition); more get 429. */
        @WithDefault("16")
        int maxOpenUploads();

        @WithName("max-unlisted-files")
        @WithDefault("16")
        int maxUnlistedFiles();
    }
}

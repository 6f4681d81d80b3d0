package io.stripecast.controller.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** The controller's settings, under {@code stripecast.*}; the README's settings table documents each key. */
@ConfigMapping(prefix = "stripecast")
public interface ControllerSettings {

    Controller controller();

    Operator operator();

    /** Mutual TLS on the control plane (on by default). */
    Tls tls();

    /** The streams the controller plans forests for, by name. */
    Map<String, Stream> streams();

    interface Controller {
        /** This instance's id, shown to relays (changes across failovers). */
        @WithDefault("controller-0")
        String id();

        /** Port of the gRPC control plane relays connect to. */
        @WithDefault("9200")
        int grpcPort();

        @WithDefault("0.0.0.0")
        String grpcHost();

        /** Relays report this often; silence for dead-after counts as death. */
        @WithDefault("1s")
        Duration heartbeat();

        @WithDefault("3s")
        Duration deadAfter();

        /**
         * After start, how long to listen to relays' reports before planning: a restarted controller
         * adopts the forest they report instead of building a new one.
         */
        @WithDefault("2s")
        Duration adoptFor();

        /** A draining relay is released after this even if some children never confirmed. */
        @WithDefault("15s")
        Duration drainGrace();

        /**
         * How often a stream whose forest leaves connected relays waiting (no room when they came) is planned
         * again, re-forming the forest if that places them.
         */
        @WithDefault("10s")
        Duration retryWaiting();

        /** Share of a relay's uplink the planner may fill. */
        @WithDefault("0.8")
        double targetUtilisation();

        /**
         * Whether the uplink budget takes each relay's measured playback egress (its viewers) out of what streams may
         * plan on it. Off by default: viewer load moves by the second, and in a pool with no spare fanout every change
         * reshapes trees (the capacity-shortfall lab scenario lost segments that way). Shards planned in the other
         * streams always count.
         */
        @WithDefault("false")
        boolean budgetPlaybackEgress();

        /** Children per relay across all trees, whatever its uplink. */
        @WithDefault("16")
        int maxFanout();

        /**
         * Control messages other than Demands (reports, hello, drain) a relay may send per second before it is cut off
         * (RESOURCE_EXHAUSTED): the relay sends those on its own clock, so more is a broken or hostile relay.
         */
        @WithDefault("50")
        int maxMessagesPerSecond();

        /**
         * Demands a relay may send per second (a token bucket of this rate and burst); more are dropped and counted
         * ({@code stripecast_controller_throttled_messages_total{kind="demand"}}), never a reason to end the session:
         * viewers cause Demands, and viewers must never disconnect a relay.
         */
        @WithDefault("10")
        int maxDemandsPerSecond();

        /**
         * host:port relays can reach this instance's control plane at (in Kubernetes: the pod IP). A standby
         * publishes nothing; the leader writes it into the Lease so standbys can redirect relays to it.
         */
        Optional<String> advertiseAddress();
    }

    /** Kubernetes: the LiveStream/RelayPool reconcilers and leader election. Off for local and embedded runs. */
    interface Tls {
        /** This controller's certificate (PEM), issued by our CA with the identity spiffe://stripecast/controller. */
        Optional<String> cert();

        /** Its private key (PEM, PKCS#8). */
        Optional<String> key();

        /** The CA certificate (PEM): relays must present a certificate it issued. */
        Optional<String> ca();

        /** Plaintext control plane: only when set explicitly, and logged as a WARN at start. */
        @WithDefault("false")
        boolean plaintext();

        /**
         * Operator mode without cert/key files: the Secret holding the cluster CA ({@code ca.crt}, {@code ca.key}),
         * created when absent. The controller then issues its own certificate and relays' certificates (Trust.Sign).
         */
        Optional<String> clusterCaSecret();

        /** Where the CA certificate alone is published (a Secret, key {@code ca.crt}) for relay pods to mount. */
        Optional<String> clusterCaCertSecret();

        /** Lifetime of the certificates the controller issues (its own and relays'); they renew at two thirds of it. */
        @WithDefault("24h")
        Duration leafLifetime();

        /** Trust.Sign requests one address may make per second (a token bucket of this rate, burst ten times it). */
        @WithDefault("1")
        double signPerAddressPerSecond();

        /**
         * A CA roll starts when the cluster CA has less than this left (docs/trust.md, "Rotation"); absent: a fifth
         * of the CA's lifetime. The annotation {@code stripecast.io/renew-ca: "true"} on the CA Secret starts one now.
         */
        Optional<Duration> caRenewBefore();

        /**
         * How long a CA roll waits after publishing the bundle (old + new) before issuing from the new CA: the time
         * the kubelet needs to update every mounted copy of the Secret.
         */
        @WithDefault("2m")
        Duration caPropagationDelay();
    }

    interface Operator {
        @WithDefault("false")
        boolean enabled();

        /** Image of relay pods when a RelayPool names none (the chart sets its own image). */
        @WithDefault("ghcr.io/stripecast/stripecast:0.1.0")
        String relayImage();

        /** Secrets relay pods pull their image with (the chart passes its imagePullSecrets), comma-separated. */
        Optional<java.util.List<String>> imagePullSecrets();

        /** host:port relay pods dial for the control plane (the controller Service). */
        @WithDefault("stripecast-controller:9200")
        String controllerAddress();

        /** The Lease the controller replicas compete for; only its holder plans. */
        @WithDefault("stripecast-controller-leader")
        String leaseName();

        /** Namespace of the Lease; default: the namespace the client is configured for (the pod's). */
        Optional<String> leaseNamespace();

        @WithDefault("15s")
        Duration leaseDuration();

        @WithDefault("10s")
        Duration renewDeadline();

        @WithDefault("2s")
        Duration retryPeriod();

        /** How often a LiveStream's and RelayPool's status figures are refreshed. */
        @WithDefault("10s")
        Duration statusInterval();
    }

    interface Stream {
        int k();

        @WithDefault("1")
        int m();

        @WithDefault("30s")
        Duration window();

        /** The relay that ingests this stream: root of every stripe tree. */
        String ingestRelay();

        /**
         * A standby ingest: a relay of the forest that takes the same uploads (the publisher pushes to both) and
         * becomes the root of every tree when the ingest relay is lost, so that no segment is lost with it.
         */
        Optional<String> standbyIngestRelay();

        /** all: every relay carries the stream; on-demand: relays join when a viewer asks. */
        @WithDefault("all")
        String carriage();

        /** Expected bitrate until one is measured, Mbit/s. */
        @WithDefault("5")
        double bitrateHintMbps();

        Optional<String> key();

        Optional<String> pullUrl();

        /**
         * Signed, expiring playback URLs: the HMAC key (32-256 printable ASCII characters) every relay of the stream checks
         * viewers' tokens with (docs/public-edge.md). Without it playback is open.
         */
        Optional<String> playbackSigningKey();
    }
}

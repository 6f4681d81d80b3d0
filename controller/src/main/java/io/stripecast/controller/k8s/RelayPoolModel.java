package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpecBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.stripecast.crds.AutoscalingSpec;
import io.stripecast.crds.RelayPool;
import io.stripecast.crds.RelayPoolSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a RelayPool becomes, as objects and nothing else (no I/O, as Strimzi's model classes): the relay
 * Deployment and the pool's single ingest Deployment, the playback, ingest and data-plane Services, the
 * autoscaler and the disruption budget. The dependent resources only hand these to the operator SDK.
 *
 * @param relayImage        image when the pool names none
 * @param controllerAddress host:port relays dial for the control plane
 * @param imagePullSecrets  names of the Secrets relay pods pull their image with (the chart's imagePullSecrets)
 * @param tlsPlaintext      relays speak plaintext gRPC, as this controller does
 * @param clusterCaCert     the Secret with the cluster CA's certificate ({@code ca.crt}) that relay pods mount to
 *                          ask the controller for their certificates (docs/trust.md); null: none (plaintext, or a
 *                          controller on certificate files)
 */
public record RelayPoolModel(String relayImage, String controllerAddress, List<String> imagePullSecrets, boolean tlsPlaintext,
                             String clusterCaCert) {
    public RelayPoolModel {
        imagePullSecrets = List.copyOf(imagePullSecrets);
        if (tlsPlaintext) {
            clusterCaCert = null;
        }
    }

    public RelayPoolModel(String relayImage, String controllerAddress, List<String> imagePullSecrets, boolean tlsPlaintext) {
        this(relayImage, controllerAddress, imagePullSecrets, tlsPlaintext, null);
    }

    public RelayPoolModel(String relayImage, String controllerAddress, List<String> imagePullSecrets) {
        this(relayImage, controllerAddress, imagePullSecrets, false);
    }

    /** Where relay pods find the cluster CA's certificate. */
    public static final String CLUSTER_CA_DIR = "/etc/stripecast/cluster-ca";

    public static final int HTTP_PORT = 8080;
    public static final int GRPC_PORT = 9100;
    /** The relay's management interface: health, metrics and /admin/drain; never behind the playback Service. */
    public static final int MANAGEMENT_PORT = 9000;
    public static final String COMPONENT_RELAY = "relay";
    public static final String COMPONENT_INGEST = "ingest";
    public static final String COMPONENT_STANDBY_INGEST = "ingest-standby";
    public static final String POOL_LABEL = "stripecast.io/pool";
    public static final String DRAIN_TOKEN_COMPONENT = "drain-token";
    public static final String DRAIN_TOKEN_KEY = "token";
    /** Selects the drain-token Secrets only: the controller's informer caches no other Secret. */
    static final String DRAIN_TOKEN_SELECTOR = "app.kubernetes.io/component=drain-token,app.kubernetes.io/managed-by=stripecast-controller";
    /** Children need this long to move (the relay's drain grace is 20 s); the rest is for the process to stop. */
    static final long TERMINATION_GRACE_SECONDS = 45;

    public static String relaysName(RelayPool pool) {
        return pool.getMetadata().getName();
    }

    public static String ingestName(RelayPool pool) {
        return pool.getMetadata().getName() + "-ingest";
    }

    public static String standbyIngestName(RelayPool pool) {
        return pool.getMetadata().getName() + "-ingest-standby";
    }

    public static String dataServiceName(RelayPool pool) {
        return pool.getMetadata().getName() + "-data";
    }

    /** Labels every pod of the pool carries; the NetworkPolicy of the chart selects on the name label. */
    public static Map<String, String> podLabels(RelayPool pool, String component) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("app.kubernetes.io/name", "stripecast-relay");
        labels.put("app.kubernetes.io/instance", pool.getMetadata().getName());
        labels.put("app.kubernetes.io/component", component);
        labels.put("app.kubernetes.io/part-of", "stripecast");
        labels.put(POOL_LABEL, pool.getMetadata().getName());
        return labels;
    }

    private static Map<String, String> objectLabels(RelayPool pool, String component) {
        Map<String, String> labels = podLabels(pool, component);
        labels.put("app.kubernetes.io/managed-by", "stripecast-controller");
        return labels;
    }

    private static Map<String, String> selector(RelayPool pool, String component) {
        return Map.of("app.kubernetes.io/name", "stripecast-relay", POOL_LABEL, pool.getMetadata().getName(),
                "app.kubernetes.io/component", component);
    }

    private static ObjectMeta meta(RelayPool pool, String name, String component) {
        return new ObjectMetaBuilder().withName(name).withNamespace(pool.getMetadata().getNamespace())
                .withLabels(objectLabels(pool, component)).build();
    }

    public Deployment relayDeployment(RelayPool pool) {
        RelayPoolSpec spec = pool.getSpec();
        boolean autoscaled = spec.autoscaling != null && Boolean.TRUE.equals(spec.autoscaling.enabled);
        return new DeploymentBuilder()
                .withMetadata(meta(pool, relaysName(pool), COMPONENT_RELAY))
                .withNewSpec()
                // With an autoscaler the HPA owns the replica count; writing one here would fight it.
                .withReplicas(autoscaled ? null : spec.replicas)
                .withNewSelector().withMatchLabels(selector(pool, COMPONENT_RELAY)).endSelector()
                // Surge first: a relay leaves only after its replacement is up and its children moved.
                .withNewStrategy().withType("RollingUpdate").withNewRollingUpdate()
                .withMaxSurge(new IntOrString(1)).withMaxUnavailable(new IntOrString(0)).endRollingUpdate().endStrategy()
                .withTemplate(podTemplate(pool, COMPONENT_RELAY, false))
                .endSpec().build();
    }

    public Deployment ingestDeployment(RelayPool pool) {
        return ingestDeployment(pool, ingestName(pool), COMPONENT_INGEST);
    }

    /**
     * The standby ingest: a Deployment and Service of its own, so that a publisher can push to both ingest pods (a
     * Service over two pods would send each upload to one of them only).
     */
    public Deployment standbyIngestDeployment(RelayPool pool) {
        return ingestDeployment(pool, standbyIngestName(pool), COMPONENT_STANDBY_INGEST);
    }

    private Deployment ingestDeployment(RelayPool pool, String name, String component) {
        return new DeploymentBuilder()
                .withMetadata(meta(pool, name, component))
                .withNewSpec()
                .withReplicas(1)
                .withNewSelector().withMatchLabels(selector(pool, component)).endSelector()
                // One pod per ingest Deployment at any time: a second would take the same uploads to no purpose.
                .withNewStrategy().withType("Recreate").endStrategy()
                .withTemplate(podTemplate(pool, component, true))
                .endSpec().build();
    }

    private PodTemplateSpec podTemplate(RelayPool pool, String component, boolean ingest) {
        RelayPoolSpec spec = pool.getSpec();
        List<TopologySpreadConstraint> spread = new ArrayList<>();
        if (spec.zones != null) {
            spread.add(new TopologySpreadConstraintBuilder().withMaxSkew(spec.zones.maxSkew).withTopologyKey(spec.zones.topologyKey)
                    .withWhenUnsatisfiable(spec.zones.whenUnsatisfiable)
                    .withNewLabelSelector().withMatchLabels(selector(pool, component)).endLabelSelector().build());
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put("prometheus.io/scrape", "true");
        annotations.put("prometheus.io/port", String.valueOf(MANAGEMENT_PORT));
        annotations.put("prometheus.io/path", "/q/metrics");
        return new PodTemplateSpecBuilder()
                .withNewMetadata().withLabels(podLabels(pool, component)).withAnnotations(annotations).endMetadata()
                .withNewSpec()
                // Relays need no Kubernetes API rights at all.
                .withAutomountServiceAccountToken(false)
                .withTerminationGracePeriodSeconds(TERMINATION_GRACE_SECONDS)
                .withNewSecurityContext().withRunAsNonRoot(true).withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .endSecurityContext()
                .withTopologySpreadConstraints(spread)
                .withImagePullSecrets(imagePullSecrets.stream().map(LocalObjectReference::new).toList())
                .withContainers(relayContainer(pool, ingest))
                .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume()
                .addAllToVolumes(segmentFilesVolumes(pool))
                .addAllToVolumes(tlsVolumes(pool))
                .addAllToVolumes(clusterCaCert == null ? List.of() : List.of(new VolumeBuilder().withName("cluster-ca").withNewSecret()
                        .withSecretName(clusterCaCert).endSecret().build()))
                .endSpec().build();
    }

    private Container relayContainer(RelayPool pool, boolean ingest) {
        RelayPoolSpec spec = pool.getSpec();
        return new ContainerBuilder()
                .withName("relay")
                .withImage(spec.image != null ? spec.image : relayImage)
                .withArgs("relay")
                .addNewPort().withName("http").withContainerPort(HTTP_PORT).withProtocol("TCP").endPort()
                .addNewPort().withName("grpc").withContainerPort(GRPC_PORT).withProtocol("TCP").endPort()
                .addNewPort().withName("management").withContainerPort(MANAGEMENT_PORT).withProtocol("TCP").endPort()
                .withEnv(env(pool, ingest))
                .withResources(resources(spec.resources))
                .withNewLivenessProbe().withNewHttpGet().withPath("/q/health/live").withPort(new IntOrString("management")).endHttpGet()
                .withPeriodSeconds(10).withFailureThreshold(3).endLivenessProbe()
                // Ready once the relay holds its assignments from the controller.
                .withNewReadinessProbe().withNewHttpGet().withPath("/q/health/ready").withPort(new IntOrString("management")).endHttpGet()
                .withPeriodSeconds(2).withFailureThreshold(2).endReadinessProbe()
                .withNewStartupProbe().withNewHttpGet().withPath("/q/health/live").withPort(new IntOrString("management")).endHttpGet()
                .withPeriodSeconds(2).withFailureThreshold(30).endStartupProbe()
                // No preStop hook: on SIGTERM the relay drains itself through its controller (its children move while it
                // still serves them, within drain-grace, well inside the termination grace period), then exits. A
                // preStop httpGet would have to carry the drain token literally in the pod spec.
                .withNewSecurityContext().withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
                .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
                .addAllToVolumeMounts(segmentFiles(pool) == 0 ? List.of()
                        : List.of(new VolumeMountBuilder().withName("segment-files").withMountPath(SEGMENT_FILES_DIR).build()))
                .addAllToVolumeMounts(tls(pool) == null ? List.of()
                        : List.of(new VolumeMountBuilder().withName("public-tls").withMountPath(TLS_DIR).withReadOnly(true).build()))
                .addAllToVolumeMounts(clusterCaCert == null ? List.of()
                        : List.of(new VolumeMountBuilder().withName("cluster-ca").withMountPath(CLUSTER_CA_DIR).withReadOnly(true).build()))
                .build();
    }

    private List<EnvVar> env(RelayPool pool, boolean ingest) {
        List<EnvVar> env = new ArrayList<>();
        env.add(new EnvVarBuilder().withName("POD_NAME").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name")
                .endFieldRef().endValueFrom().build());
        env.add(new EnvVarBuilder().withName("POD_IP").withNewValueFrom().withNewFieldRef().withFieldPath("status.podIP")
                .endFieldRef().endValueFrom().build());
        env.add(new EnvVar("STRIPECAST_RELAY_ID", "$(POD_NAME)", null));
        env.add(new EnvVar("STRIPECAST_RELAY_CONTROLLER", controllerAddress, null));
        env.add(new EnvVar("STRIPECAST_RELAY_ADVERTISE_ADDRESS", "$(POD_IP):" + GRPC_PORT, null));
        env.add(new EnvVar("STRIPECAST_RELAY_PLAYBACK_URL", (tls(pool) == null ? "http" : "https") + "://$(POD_IP):" + HTTP_PORT, null));
        env.add(new EnvVar("STRIPECAST_RELAY_UPLINK_MBPS", String.valueOf(pool.getSpec().uplinkMbps), null));
        env.add(new EnvVar("STRIPECAST_RELAY_POOL", pool.getMetadata().getName(), null));
        env.add(new EnvVar("STRIPECAST_RELAY_INGEST", String.valueOf(ingest), null));
        // For a drain by hand on the management port (GET /admin/drain); from the pool's Secret, never in the spec.
        env.add(new EnvVarBuilder().withName("STRIPECAST_RELAY_DRAIN_TOKEN").withNewValueFrom().withNewSecretKeyRef()
                .withName(drainTokenSecretName(pool)).withKey(DRAIN_TOKEN_KEY).withOptional(false).endSecretKeyRef().endValueFrom().build());
        env.add(new EnvVar("QUARKUS_MANAGEMENT_PORT", String.valueOf(MANAGEMENT_PORT), null));
        String javaOpts = RelayJvmOptions.forResources(resources(pool.getSpec().resources));
        if (javaOpts != null) {
            env.add(new EnvVar("JAVA_OPTS", javaOpts, null));
        }
        if (segmentFiles(pool) > 0) {
            env.add(new EnvVar("STRIPECAST_PLAYBACK_SEGMENT_FILES_DIR", SEGMENT_FILES_DIR, null));
            env.add(new EnvVar("STRIPECAST_PLAYBACK_SEGMENT_FILES_MAX_BYTES", Long.toString(segmentFiles(pool)), null));
        }
        if (tlsPlaintext) {
            env.add(new EnvVar("STRIPECAST_TLS_PLAINTEXT", "true", null));
        }
        if (clusterCaCert != null) {
            // The relay makes its key at start and asks the controller to sign it (Trust.Sign), verifying the
            // controller against this CA; its identity is its pod name (STRIPECAST_RELAY_ID) in this pool.
            env.add(new EnvVar("STRIPECAST_TLS_ISSUER", "controller", null));
            env.add(new EnvVar("STRIPECAST_TLS_CA", CLUSTER_CA_DIR + "/ca.crt", null));
        }
        if (tls(pool) != null) {
            // The public port (named http, 8080, as the Services and NetworkPolicy know it) speaks https only; the
            // management port stays plain for the kubelet's probes and Prometheus inside the cluster.
            env.add(new EnvVar("QUARKUS_HTTP_SSL_PORT", String.valueOf(HTTP_PORT), null));
            env.add(new EnvVar("QUARKUS_HTTP_INSECURE_REQUESTS", "disabled", null));
            env.add(new EnvVar("QUARKUS_HTTP_SSL_CERTIFICATE_FILES", TLS_DIR + "/tls.crt", null));
            env.add(new EnvVar("QUARKUS_HTTP_SSL_CERTIFICATE_KEY_FILES", TLS_DIR + "/tls.key", null));
        }
        return env;
    }

    private static ResourceRequirements resources(ResourceRequirements requested) {
        if (requested != null) {
            return Quantities.canonical(requested);
        }
        // Requests so the CPU autoscaler has a base; no CPU limit, so a busy relay is not throttled mid-segment.
        return new ResourceRequirementsBuilder().addToRequests("cpu", new Quantity("250m")).addToRequests("memory", new Quantity("512Mi"))
                .addToLimits("memory", new Quantity("1Gi")).build();
    }

    /** Where relay pods keep copies of watched segments, sent to viewers with sendfile (a memory-backed emptyDir). */
    static final String SEGMENT_FILES_DIR = "/var/run/stripecast/segments";

    /**
     * What a relay pod's segment copies may take, bytes; 0 for none: a pool whose public port speaks TLS (the bytes
     * must pass through the JVM to be encrypted, so sendfile cannot send them), or a memory limit under 1 GiB.
     */
    static long segmentFiles(RelayPool pool) {
        return tls(pool) != null ? 0 : RelayJvmOptions.segmentFilesBytes(resources(pool.getSpec().resources));
    }

    private static List<Volume> segmentFilesVolumes(RelayPool pool) {
        long bytes = segmentFiles(pool);
        // Medium Memory: a tmpfs, so sendfile sends from memory as nginx does from its page cache. Its pages count
        // against the container's memory limit, which RelayJvmOptions leaves room for; the relay keeps under sizeLimit.
        return bytes == 0 ? List.of() : List.of(new VolumeBuilder().withName("segment-files").withNewEmptyDir().withMedium("Memory")
                .withSizeLimit(new Quantity(Long.toString(bytes / RelayJvmOptions.MI) + "Mi")).endEmptyDir().build());
    }

    /** Where a pool's public TLS Secret is mounted in relay pods. */
    static final String TLS_DIR = "/etc/stripecast/public-tls";

    private static String tls(RelayPool pool) {
        var tls = pool.getSpec().tls;
        return tls == null || tls.secretName == null || tls.secretName.isBlank() ? null : tls.secretName;
    }

    private static List<Volume> tlsVolumes(RelayPool pool) {
        return tls(pool) == null ? List.of() : List.of(new VolumeBuilder().withName("public-tls").withNewSecret()
                .withSecretName(tls(pool)).endSecret().build());
    }

    public static String drainTokenSecretName(RelayPool pool) {
        return pool.getMetadata().getName() + "-drain-token";
    }

    /** The pool's drain-token Secret with this (random) token; {@link DrainTokenSecretDependent} makes it once. */
    public Secret drainTokenSecret(RelayPool pool, String token) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("app.kubernetes.io/name", "stripecast-relay");
        labels.put("app.kubernetes.io/instance", pool.getMetadata().getName());
        labels.put("app.kubernetes.io/component", DRAIN_TOKEN_COMPONENT);
        labels.put("app.kubernetes.io/part-of", "stripecast");
        labels.put("app.kubernetes.io/managed-by", "stripecast-controller");
        labels.put(POOL_LABEL, pool.getMetadata().getName());
        return new SecretBuilder()
                .withNewMetadata().withName(drainTokenSecretName(pool)).withNamespace(pool.getMetadata().getNamespace())
                .withLabels(labels).endMetadata()
                .withType("Opaque")
                .addToStringData(DRAIN_TOKEN_KEY, token)
                .build();
    }

    public Service playbackService(RelayPool pool) {
        return httpService(pool, relaysName(pool), COMPONENT_RELAY);
    }

    public Service ingestService(RelayPool pool) {
        return httpService(pool, ingestName(pool), COMPONENT_INGEST);
    }

    public Service standbyIngestService(RelayPool pool) {
        return httpService(pool, standbyIngestName(pool), COMPONENT_STANDBY_INGEST);
    }

    private static Service httpService(RelayPool pool, String name, String component) {
        return new ServiceBuilder().withMetadata(meta(pool, name, component))
                .withNewSpec().withType(pool.getSpec().serviceType).withSelector(selector(pool, component))
                .addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString("http")).withProtocol("TCP").endPort()
                .endSpec().build();
    }

    /** Headless: relays reach each other by pod address; the Service gives them DNS names and one place to look. */
    public Service dataService(RelayPool pool) {
        return new ServiceBuilder().withMetadata(meta(pool, dataServiceName(pool), COMPONENT_RELAY))
                .withNewSpec().withClusterIP("None").withPublishNotReadyAddresses(true)
                .withSelector(Map.of("app.kubernetes.io/name", "stripecast-relay", POOL_LABEL, pool.getMetadata().getName()))
                .addNewPort().withName("grpc").withPort(GRPC_PORT).withTargetPort(new IntOrString("grpc")).withProtocol("TCP").endPort()
                .endSpec().build();
    }

    public HorizontalPodAutoscaler autoscaler(RelayPool pool) {
        AutoscalingSpec a = pool.getSpec().autoscaling;
        List<MetricSpec> metrics = new ArrayList<>();
        metrics.add(new MetricSpecBuilder().withType("Resource").withNewResource().withName("cpu")
                .withNewTarget().withType("Utilization").withAverageUtilization(a.targetCpuPercent).endTarget().endResource().build());
        if (a.targetEgressMbps != null) {
            // Served by a custom-metrics adapter from the relays' shard and playback byte counters (see the chart README).
            metrics.add(new MetricSpecBuilder().withType("Pods").withNewPods().withNewMetric().withName("stripecast_relay_egress_mbps")
                    .endMetric().withNewTarget().withType("AverageValue").withAverageValue(Quantities.canonical(new Quantity(formatMbps(a.targetEgressMbps))))
                    .endTarget().endPods().build());
        }
        return new HorizontalPodAutoscalerBuilder().withMetadata(meta(pool, relaysName(pool), COMPONENT_RELAY))
                .withNewSpec()
                .withNewScaleTargetRef().withApiVersion("apps/v1").withKind("Deployment").withName(relaysName(pool)).endScaleTargetRef()
                .withMinReplicas(a.minReplicas).withMaxReplicas(a.maxReplicas).withMetrics(metrics)
                // Scale in slowly: every relay that leaves moves its children first.
                .withNewBehavior().withNewScaleDown().withStabilizationWindowSeconds(300).addNewPolicy().withType("Pods").withValue(1)
                .withPeriodSeconds(60).endPolicy().endScaleDown().endBehavior()
                .endSpec().build();
    }

    private static String formatMbps(double mbps) {
        return mbps == Math.rint(mbps) ? String.valueOf((long) mbps) : String.valueOf(mbps);
    }

    /** One relay at a time may be evicted voluntarily, so drains never overlap. */
    public PodDisruptionBudget disruptionBudget(RelayPool pool) {
        return new PodDisruptionBudgetBuilder().withMetadata(meta(pool, relaysName(pool), COMPONENT_RELAY))
                .withNewSpec().withMaxUnavailable(new IntOrString(1))
                .withNewSelector().withMatchLabels(selector(pool, COMPONENT_RELAY)).endSelector()
                .endSpec().build();
    }
}

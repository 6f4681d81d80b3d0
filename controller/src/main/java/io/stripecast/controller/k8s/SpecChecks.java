package io.stripecast.controller.k8s;

import io.stripecast.crds.AutoscalingSpec;
import io.stripecast.crds.LiveStream;
import io.stripecast.crds.LiveStreamSpec;
import io.stripecast.crds.MeshSpec;
import io.stripecast.crds.Limits;
import io.stripecast.crds.RelayPool;
import io.stripecast.crds.RelayPoolSpec;
import io.stripecast.protocol.Names;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The operator's own check of a spec against the bounds the CRD schema declares. The API server enforces them
 * too, but an object stored before the schema, or by a server that skips CEL, must end in Ready=False with a
 * reason and never in a crash loop.
 */
final class SpecChecks {
    private static final Pattern DNS_LABEL = Pattern.compile(Limits.DNS_LABEL);
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile(Limits.DNS_SUBDOMAIN);
    private static final Pattern URL = Pattern.compile("^https?://[^\\s]+$");
    /** The CRD's maxLength of a pull URL. */
    private static final int MAX_URL_LENGTH = 2048;

    private SpecChecks() {
    }

    static List<String> liveStream(LiveStream stream) {
        List<String> problems = new ArrayList<>();
        String name = stream.getMetadata().getName();
        if (!Names.isStreamName(name)) {
            problems.add("name '" + name + "' is not a stream name ([A-Za-z0-9_-], at most 64 characters)");
        }
        LiveStreamSpec s = stream.getSpec();
        if (s == null) {
            problems.add("spec is missing");
            return problems;
        }
        int m = s.m == null ? 1 : s.m;
        if (s.k == null || s.k < 1 || s.k > Limits.MAX_STRIPES) {
            problems.add("k must be in 1.." + Limits.MAX_STRIPES);
        } else if (m < 0 || s.k + m > Limits.MAX_STRIPES) {
            problems.add("k + m must be at most " + Limits.MAX_STRIPES + " (got k=" + s.k + ", m=" + m + ")");
        }
        if (s.windowSeconds != null && (s.windowSeconds < Limits.MIN_WINDOW_SECONDS || s.windowSeconds > Limits.MAX_WINDOW_SECONDS)) {
            problems.add("windowSeconds must be in " + Limits.MIN_WINDOW_SECONDS + ".." + Limits.MAX_WINDOW_SECONDS);
        }
        if (s.bitrateHintMbps != null && !(s.bitrateHintMbps > 0 && s.bitrateHintMbps <= Limits.MAX_BITRATE_MBPS)) {
            problems.add("bitrateHintMbps must be in (0, " + (long) Limits.MAX_BITRATE_MBPS + "]");
        }
        if (s.carriage != null && !s.carriage.equals("all") && !s.carriage.equals("on-demand")) {
            problems.add("carriage must be all or on-demand");
        }
        if (s.mesh != null && s.mesh.maxPeers != null && (s.mesh.maxPeers < 1 || s.mesh.maxPeers > Limits.MAX_MESH_PEERS)) {
            problems.add("mesh.maxPeers must be in 1.." + Limits.MAX_MESH_PEERS);
        }
        if (s.mesh != null) {
            mesh(s.mesh, problems);
        }
        if (s.playback != null && s.playback.signing != null && (s.playback.signing.secretRef == null
                || s.playback.signing.secretRef.name == null || !DNS_SUBDOMAIN.matcher(s.playback.signing.secretRef.name).matches())) {
            problems.add("playback.signing.secretRef.name must name a Secret");
        }
        if (s.relayPool == null || !DNS_LABEL.matcher(s.relayPool).matches()) {
            problems.add("relayPool must name a RelayPool");
        }
        if (s.ingest == null || (s.ingest.push == null) == (s.ingest.pull == null)) {
            problems.add("set exactly one of ingest.push and ingest.pull");
        } else if (s.ingest.push != null) {
            if (s.ingest.push.keySecretRef == null || s.ingest.push.keySecretRef.name == null
                    || !DNS_SUBDOMAIN.matcher(s.ingest.push.keySecretRef.name).matches()) {
                problems.add("ingest.push.keySecretRef.name must name a Secret");
            }
        } else if (s.ingest.pull.url == null || s.ingest.pull.url.length() > MAX_URL_LENGTH
                || !URL.matcher(s.ingest.pull.url).matches()) {
            problems.add("ingest.pull.url must be an http(s) URL");
        }
        return problems;
    }

    static List<String> relayPool(RelayPool pool) {
        List<String> problems = new ArrayList<>();
        String name = pool.getMetadata().getName();
        if (!DNS_LABEL.matcher(name).matches()) {
            problems.add("name '" + name + "' must be a DNS label of at most 40 characters (it prefixes the pool's objects)");
        }
        RelayPoolSpec s = pool.getSpec();
        if (s == null) {
            problems.add("spec is missing");
            return problems;
        }
        if (s.replicas != null && (s.replicas < 0 || s.replicas > Limits.MAX_REPLICAS)) {
            problems.add("replicas must be in 0.." + Limits.MAX_REPLICAS);
        }
        if (s.uplinkMbps != null && !(s.uplinkMbps > 0 && s.uplinkMbps <= Limits.MAX_UPLINK_MBPS)) {
            problems.add("uplinkMbps must be in (0, " + (long) Limits.MAX_UPLINK_MBPS + "]");
        }
        AutoscalingSpec a = s.autoscaling;
        if (a != null && Boolean.TRUE.equals(a.enabled)) {
            if (a.minReplicas < 1 || a.maxReplicas > Limits.MAX_REPLICAS || a.minReplicas > a.maxReplicas) {
                problems.add("autoscaling needs 1 <= minReplicas <= maxReplicas <= " + Limits.MAX_REPLICAS);
            }
            if (a.targetCpuPercent < 1 || a.targetCpuPercent > 100) {
                problems.add("autoscaling.targetCpuPercent must be in 1..100");
            }
        }
        if (s.serviceType != null && !s.serviceType.matches("ClusterIP|NodePort|LoadBalancer")) {
            problems.add("serviceType must be ClusterIP, NodePort or LoadBalancer");
        }
        return problems;
    }

    private static final Pattern ICE_URL = Pattern.compile("^(stun|turn|turns):[^\\s]+$");

    /** The mesh's ICE settings, as the CRD schema states them (the mock server does not apply the schema). */
    private static void mesh(MeshSpec mesh, List<String> problems) {
        if (mesh.iceServers != null) {
            if (mesh.iceServers.size() > Limits.MAX_ICE_SERVERS) {
                problems.add("mesh.iceServers: at most " + Limits.MAX_ICE_SERVERS + " servers");
            }
            for (int i = 0; i < mesh.iceServers.size(); i++) {
                String url = mesh.iceServers.get(i) == null ? null : mesh.iceServers.get(i).url;
                if (url == null || url.length() < 6 || url.length() > 256 || !ICE_URL.matcher(url).matches()) {
                    problems.add("mesh.iceServers[" + i + "].url must be a stun:, turn: or turns: URL of at most 256 characters");
                }
            }
        }
        if (mesh.iceTransportPolicy != null && !mesh.iceTransportPolicy.equals("all") && !mesh.iceTransportPolicy.equals("relay")) {
            problems.add("mesh.iceTransportPolicy must be all or relay");
        }
        if (mesh.turnCredentialTtlSeconds != null && (mesh.turnCredentialTtlSeconds < 60 || mesh.turnCredentialTtlSeconds > 86400)) {
            problems.add("mesh.turnCredentialTtlSeconds must be in 60..86400");
        }
        if (mesh.turnSecretRef != null && (mesh.turnSecretRef.name == null || !DNS_SUBDOMAIN.matcher(mesh.turnSecretRef.name).matches())) {
            problems.add("mesh.turnSecretRef.name must name a Secret");
        }
    }
}

package io.stripecast.controller.trust;

import io.fabric8.kubernetes.api.model.Pod;
import io.stripecast.controller.k8s.RelayPoolModel;

import java.util.Map;

/**
 * When the controller signs a relay's certificate request (docs/trust.md): the pod it names exists in the pool
 * (the operator's labels), is not going away, and its pod IP is the address the request comes from. The identity
 * issued is the pod's, whatever the request asks for.
 */
public final class IssuingRule {
    private IssuingRule() {
    }

    /** Why not: a reason word for the metric ({@code no_pod}, {@code wrong_pool}, {@code terminating}, {@code address_mismatch}) and a message. */
    public record Refusal(String reason, String message) {
    }

    /** Why {@code pod} may not get a certificate of {@code pool} for a request from {@code peerIp}; null when it may. */
    public static String refusal(Pod pod, String pool, String peerIp) {
        Refusal r = check(pod, pool, peerIp);
        return r == null ? null : r.message();
    }

    /** As {@link #refusal}, with the reason word. */
    public static Refusal check(Pod pod, String pool, String peerIp) {
        if (pod == null) {
            return new Refusal("no_pod", "no such pod");
        }
        Map<String, String> labels = pod.getMetadata().getLabels();
        if (labels == null || !pool.equals(labels.get(RelayPoolModel.POOL_LABEL))
                || !"stripecast-relay".equals(labels.get("app.kubernetes.io/name"))) {
            return new Refusal("wrong_pool", "pod " + pod.getMetadata().getName() + " is not a relay of pool " + pool);
        }
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return new Refusal("terminating", "pod " + pod.getMetadata().getName() + " is terminating");
        }
        String podIp = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
        if (podIp == null || !sameAddress(podIp, peerIp)) {
            return new Refusal("address_mismatch", "the request comes from " + peerIp + ", not from pod "
                    + pod.getMetadata().getName() + "'s IP " + podIp);
        }
        return null;
    }

    /**
     * The same IP, however it is written: the API server writes IPv6 pod IPs compressed ({@code fd00::5}), the socket
     * gives them in full ({@code fd00:0:0:0:0:0:0:5}). Only IP literals are compared as addresses (never resolved).
     */
    static boolean sameAddress(String podIp, String peerIp) {
        if (podIp.equals(peerIp)) {
            return true;
        }
        if (!literal(podIp) || !literal(peerIp)) {
            return false;
        }
        try {
            return java.net.InetAddress.getByName(podIp).equals(java.net.InetAddress.getByName(peerIp));
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static boolean literal(String s) {
        return s.matches("[0-9.]+") && s.chars().filter(c -> c == '.').count() == 3 || s.matches("[0-9A-Fa-f:.]+") && s.contains(":");
    }
}

package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Kubernetes-style conditions: one per type, and lastTransitionTime moves only when the status does. */
final class StatusConditions {
    static final String READY = "Ready";
    static final String DEGRADED = "Degraded";

    private StatusConditions() {
    }

    static List<Condition> set(List<Condition> existing, String type, boolean status, String reason, String message,
                               long generation) {
        List<Condition> out = new ArrayList<>();
        String value = status ? "True" : "False";
        String since = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        boolean found = false;
        for (Condition c : existing == null ? List.<Condition>of() : existing) {
            if (!type.equals(c.getType())) {
                out.add(c);
                continue;
            }
            found = true;
            String transition = value.equals(c.getStatus()) && c.getLastTransitionTime() != null ? c.getLastTransitionTime() : since;
            out.add(condition(type, value, reason, message, generation, transition));
        }
        if (!found) {
            out.add(condition(type, value, reason, message, generation, since));
        }
        return out;
    }

    private static Condition condition(String type, String value, String reason, String message, long generation, String since) {
        // The API server bounds a condition message at 32768 characters.
        String bounded = message.length() > 1024 ? message.substring(0, 1024) : message;
        return new ConditionBuilder().withType(type).withStatus(value).withReason(reason).withMessage(bounded)
                .withObservedGeneration(generation).withLastTransitionTime(since).build();
    }

    /** Whether a status computed now says nothing the stored one does not (then no write is needed). */
    static boolean sameStatus(Object computed, Object stored) {
        return stored != null && Serialization.asJson(computed).equals(Serialization.asJson(stored));
    }

    static Condition find(List<Condition> conditions, String type) {
        if (conditions == null) {
            return null;
        }
        return conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }
}

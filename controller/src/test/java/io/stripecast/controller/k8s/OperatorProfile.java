package io.stripecast.controller.k8s;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/** The controller as it runs in Kubernetes: operator on, leader election on the mock API server's Leases. */
public class OperatorProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "stripecast.operator.enabled", "true",
                "stripecast.operator.lease-duration", "3s",
                "stripecast.operator.renew-deadline", "2s",
                "stripecast.operator.retry-period", "200ms",
                "stripecast.operator.status-interval", "500ms",
                "stripecast.operator.relay-image", "registry.test/stripecast:test",
                "stripecast.operator.controller-address", "stripecast-controller.test.svc:9200",
                "stripecast.controller.id", "controller-a",
                "stripecast.controller.advertise-address", "10.0.0.1:9200");
    }
}

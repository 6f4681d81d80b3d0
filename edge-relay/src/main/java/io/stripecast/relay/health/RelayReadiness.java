package io.stripecast.relay.health;

import io.stripecast.relay.push.DataPlane;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the data plane listens and the relay holds its assignments. */
@Readiness
@ApplicationScoped
public class RelayReadiness implements HealthCheck {
    @Inject
    DataPlane dataPlane;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("data-plane").status(dataPlane.isReady())
                .withData("grpcPort", dataPlane.grpcPort()).build();
    }
}

package io.stripecast.controller.health;

import io.stripecast.controller.control.ControlServer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready when the control plane listens (a standby that is not leader is ready too: it can take over). */
@Readiness
@ApplicationScoped
public class ControllerHealth implements HealthCheck {
    @Inject
    ControlServer server;
    @Inject
    io.stripecast.controller.control.Coordinator coordinator;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("control-plane").status(server.port() > 0).withData("grpcPort", server.port())
                .withData("leader", coordinator.isActive()).build();
    }
}

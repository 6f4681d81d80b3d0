package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.stripecast.controller.config.ControllerSettings;
import io.stripecast.controller.control.Coordinator;
import io.stripecast.crds.RelayPool;
import io.stripecast.crds.RelayPoolStatus;
import jakarta.inject.Inject;

import java.util.List;

/**
 * RelayPool -> its Deployments, Services, autoscaler and disruption budget (dependent resources with owner
 * references: deleting the pool deletes them; a relay drains itself on SIGTERM), the pool's random drain token in a
 * Secret (created once, read by the relay pods through a secretKeyRef), and a
 * status with the pool's connected relays. The workflow runs only for a valid spec, so a bad one changes nothing
 * that already runs.
 */
@ControllerConfiguration(name = "relaypool")
@Workflow(explicitInvocation = true, dependents = {
        // Relay pods read the drain token from this Secret: it exists before they do.
        @Dependent(name = "drain-token", type = DrainTokenSecretDependent.class),
        @Dependent(name = "relays", type = RelayDeploymentDependent.class, dependsOn = "drain-token"),
        @Dependent(name = "ingest", type = IngestDeploymentDependent.class, dependsOn = "drain-token"),
        @Dependent(name = "playback-service", type = PlaybackServiceDependent.class),
        @Dependent(name = "ingest-service", type = IngestServiceDependent.class),
        @Dependent(name = "standby-ingest", type = StandbyIngestDeploymentDependent.class,
                reconcilePrecondition = StandbyIngestEnabled.class, dependsOn = "drain-token"),
        @Dependent(name = "standby-ingest-service", type = StandbyIngestServiceDependent.class,
                reconcilePrecondition = StandbyIngestEnabled.class),
        @Dependent(name = "data-service", type = DataServiceDependent.class),
        @Dependent(name = "autoscaler", type = RelayAutoscalerDependent.class, reconcilePrecondition = AutoscalingEnabled.class),
        @Dependent(name = "disruption-budget", type = RelayDisruptionBudgetDependent.class)
})
public class RelayPoolReconciler implements Reconciler<RelayPool> {
    @Inject
    Coordinator coordinator;
    @Inject
    ControllerSettings settings;

    @Override
    public UpdateControl<RelayPool> reconcile(RelayPool pool, Context<RelayPool> context) {
        long generation = pool.getMetadata().getGeneration() == null ? 0 : pool.getMetadata().getGeneration();
        RelayPoolStatus previous = pool.getStatus();
        RelayPoolStatus status = new RelayPoolStatus();
        status.observedGeneration = generation;
        var conditions = previous == null ? null : previous.conditions;
        List<String> problems = SpecChecks.relayPool(pool);
        if (!problems.isEmpty()) {
            status.conditions = StatusConditions.set(conditions, StatusConditions.READY, false, "InvalidSpec",
                    String.join("; ", problems), generation);
        } else {
            context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
            Deployment relays = context.getClient().apps().deployments().inNamespace(pool.getMetadata().getNamespace())
                    .withName(RelayPoolModel.relaysName(pool)).get();
            var deployed = relays == null ? null : relays.getStatus();
            status.replicas = deployed == null || deployed.getReplicas() == null ? 0 : deployed.getReplicas();
            status.availableReplicas = deployed == null || deployed.getAvailableReplicas() == null ? 0 : deployed.getAvailableReplicas();
            Coordinator.PoolView connected = coordinator.pool(pool.getMetadata().getName());
            status.connectedRelays = connected.connected();
            status.ingestRelay = connected.ingestRelay();
            if (connected.ingestRelay() == null) {
                conditions = StatusConditions.set(conditions, StatusConditions.READY, false, "IngestNotConnected",
                        "the pool's ingest relay has not reached the controller yet", generation);
            } else if (status.availableReplicas == 0 && connected.connected() < 2) {
                conditions = StatusConditions.set(conditions, StatusConditions.READY, false, "RelaysStarting",
                        "no relay of the pool is available yet", generation);
            } else {
                conditions = StatusConditions.set(conditions, StatusConditions.READY, true, "RelaysConnected",
                        connected.connected() + " relay(s) connected to the controller", generation);
            }
            status.conditions = conditions;
        }
        if (StatusConditions.sameStatus(status, previous)) {
            return UpdateControl.<RelayPool>noUpdate().rescheduleAfter(settings.operator().statusInterval());
        }
        pool.setStatus(status);
        return UpdateControl.patchStatus(pool).rescheduleAfter(settings.operator().statusInterval());
    }
}

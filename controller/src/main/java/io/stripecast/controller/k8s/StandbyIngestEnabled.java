package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.stripecast.crds.RelayPool;

/** The standby ingest's Deployment and Service exist only while the pool asks for one; switching it off deletes them. */
public class StandbyIngestEnabled implements Condition<HasMetadata, RelayPool> {
    @Override
    public boolean isMet(DependentResource<HasMetadata, RelayPool> dependent, RelayPool pool, Context<RelayPool> context) {
        return Boolean.TRUE.equals(pool.getSpec().standbyIngest);
    }
}

package io.stripecast.controller.k8s;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.stripecast.crds.RelayPool;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

/** At most one relay evicted at a time. */
public class RelayDisruptionBudgetDependent extends CRUDKubernetesDependentResource<PodDisruptionBudget, RelayPool> {
    public RelayDisruptionBudgetDependent() {
        super(PodDisruptionBudget.class);
    }

    @Override
    protected PodDisruptionBudget desired(RelayPool pool, Context<RelayPool> context) {
        return PoolModels.current().disruptionBudget(pool);
    }
}

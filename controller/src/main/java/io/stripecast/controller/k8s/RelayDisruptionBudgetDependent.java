package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

/** At most one relay evicted at a time. */
public class RelayDisruptionBudgetDependent extends PoolDependent<PodDisruptionBudget> {
    public RelayDisruptionBudgetDependent() {
        super(PodDisruptionBudget.class, RelayPoolModel::disruptionBudget);
    }
}

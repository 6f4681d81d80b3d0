package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.stripecast.crds.RelayPool;

/** The autoscaler exists only while the pool enables it; switching it off deletes it. */
public class AutoscalingEnabled implements Condition<HorizontalPodAutoscaler, RelayPool> {
    @Override
    public boolean isMet(DependentResource<HorizontalPodAutoscaler, RelayPool> dependent, RelayPool pool, Context<RelayPool> context) {
        return pool.getSpec().autoscaling != null && Boolean.TRUE.equals(pool.getSpec().autoscaling.enabled);
    }
}

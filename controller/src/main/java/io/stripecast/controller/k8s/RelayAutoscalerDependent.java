package io.stripecast.controller.k8s;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.stripecast.crds.RelayPool;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;

/** The relays' autoscaler, present only while the pool asks for one. */
public class RelayAutoscalerDependent extends CRUDKubernetesDependentResource<HorizontalPodAutoscaler, RelayPool> {
    public RelayAutoscalerDependent() {
        super(HorizontalPodAutoscaler.class);
    }

    @Override
    protected HorizontalPodAutoscaler desired(RelayPool pool, Context<RelayPool> context) {
        return PoolModels.current().autoscaler(pool);
    }
}

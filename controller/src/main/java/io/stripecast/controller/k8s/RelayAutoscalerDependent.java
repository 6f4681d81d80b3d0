package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;

/** The relays' autoscaler, present only while the pool asks for one. */
public class RelayAutoscalerDependent extends PoolDependent<HorizontalPodAutoscaler> {
    public RelayAutoscalerDependent() {
        super(HorizontalPodAutoscaler.class, RelayPoolModel::autoscaler);
    }
}

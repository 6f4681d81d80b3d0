package io.stripecast.controller.k8s;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.stripecast.crds.RelayPool;
import io.fabric8.kubernetes.api.model.Service;

/** Viewers (or a CDN tier in front) reach the relays' HLS here. */
public class PlaybackServiceDependent extends CRUDKubernetesDependentResource<Service, RelayPool> {
    public PlaybackServiceDependent() {
        super(Service.class);
    }

    @Override
    protected Service desired(RelayPool pool, Context<RelayPool> context) {
        return PoolModels.current().playbackService(pool);
    }
}

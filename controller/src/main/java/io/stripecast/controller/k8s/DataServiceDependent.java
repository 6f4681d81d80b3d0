package io.stripecast.controller.k8s;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.stripecast.crds.RelayPool;
import io.fabric8.kubernetes.api.model.Service;

/** Headless data-plane Service: DNS for the relays' gRPC shard push. */
public class DataServiceDependent extends CRUDKubernetesDependentResource<Service, RelayPool> {
    public DataServiceDependent() {
        super(Service.class);
    }

    @Override
    protected Service desired(RelayPool pool, Context<RelayPool> context) {
        return PoolModels.current().dataService(pool);
    }
}

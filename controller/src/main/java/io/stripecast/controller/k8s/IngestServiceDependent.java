package io.stripecast.controller.k8s;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.stripecast.crds.RelayPool;
import io.fabric8.kubernetes.api.model.Service;

/** Publishers PUT their HLS to the ingest pod here. */
public class IngestServiceDependent extends CRUDKubernetesDependentResource<Service, RelayPool> {
    public IngestServiceDependent() {
        super(Service.class);
    }

    @Override
    protected Service desired(RelayPool pool, Context<RelayPool> context) {
        return PoolModels.current().ingestService(pool);
    }
}

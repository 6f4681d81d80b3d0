package io.stripecast.controller.k8s;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.stripecast.crds.RelayPool;
import io.fabric8.kubernetes.api.model.apps.Deployment;

/** The pool's ingest pod, root of its streams' trees. */
public class IngestDeploymentDependent extends CRUDKubernetesDependentResource<Deployment, RelayPool> {
    public IngestDeploymentDependent() {
        super(Deployment.class);
    }

    @Override
    protected Deployment desired(RelayPool pool, Context<RelayPool> context) {
        return PoolModels.current().ingestDeployment(pool);
    }
}

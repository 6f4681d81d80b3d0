package io.stripecast.controller.k8s;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.stripecast.crds.RelayPool;
import io.fabric8.kubernetes.api.model.apps.Deployment;

/** The pool's relay pods. */
public class RelayDeploymentDependent extends CRUDKubernetesDependentResource<Deployment, RelayPool> {
    public RelayDeploymentDependent() {
        super(Deployment.class);
    }

    @Override
    protected Deployment desired(RelayPool pool, Context<RelayPool> context) {
        return PoolModels.current().relayDeployment(pool);
    }
}

package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.apps.Deployment;

/** The pool's relay pods. */
public class RelayDeploymentDependent extends PoolDependent<Deployment> {
    public RelayDeploymentDependent() {
        super(Deployment.class, RelayPoolModel::relayDeployment);
    }
}

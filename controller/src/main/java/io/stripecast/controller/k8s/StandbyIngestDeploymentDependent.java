package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.apps.Deployment;

/** The pool's standby ingest pod, present when the pool asks for one. */
public class StandbyIngestDeploymentDependent extends PoolDependent<Deployment> {
    public StandbyIngestDeploymentDependent() {
        super(Deployment.class, RelayPoolModel::standbyIngestDeployment);
    }
}

package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.apps.Deployment;

/** The pool's ingest pod, root of its streams' trees. */
public class IngestDeploymentDependent extends PoolDependent<Deployment> {
    public IngestDeploymentDependent() {
        super(Deployment.class, RelayPoolModel::ingestDeployment);
    }
}

package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.Service;

/** Publishers PUT their HLS to the ingest pod here. */
public class IngestServiceDependent extends PoolDependent<Service> {
    public IngestServiceDependent() {
        super(Service.class, RelayPoolModel::ingestService);
    }
}

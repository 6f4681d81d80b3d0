package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.Service;

/** Publishers push to the standby ingest here as well as to the ingest Service. */
public class StandbyIngestServiceDependent extends PoolDependent<Service> {
    public StandbyIngestServiceDependent() {
        super(Service.class, RelayPoolModel::standbyIngestService);
    }
}

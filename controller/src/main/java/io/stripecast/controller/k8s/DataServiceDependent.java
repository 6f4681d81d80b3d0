package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.Service;

/** Headless data-plane Service: DNS for the relays' gRPC shard push. */
public class DataServiceDependent extends PoolDependent<Service> {
    public DataServiceDependent() {
        super(Service.class, RelayPoolModel::dataService);
    }
}

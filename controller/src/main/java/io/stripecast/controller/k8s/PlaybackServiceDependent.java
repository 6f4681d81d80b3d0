package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.Service;

/** Viewers (or a CDN tier in front) reach the relays' HLS here. */
public class PlaybackServiceDependent extends PoolDependent<Service> {
    public PlaybackServiceDependent() {
        super(Service.class, RelayPoolModel::playbackService);
    }
}

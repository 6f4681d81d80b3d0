package io.stripecast.controller.k8s;

import io.smallrye.config.SmallRyeConfig;
import io.stripecast.controller.config.ControllerSettings;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * The RelayPool model built from the controller's settings. Dependent resources are instantiated by the operator
 * SDK, not by CDI, so they reach the settings through the config API rather than by injection.
 */
final class PoolModels {
    private PoolModels() {
    }

    static RelayPoolModel current() {
        ControllerSettings settings = ConfigProvider.getConfig().unwrap(SmallRyeConfig.class).getConfigMapping(ControllerSettings.class);
        ControllerSettings.Operator o = settings.operator();
        ControllerSettings.Tls tls = settings.tls();
        // Relays ask this controller for certificates only when it issues them (cluster CA, no certificate files).
        boolean issuing = !tls.plaintext() && tls.cert().isEmpty() && tls.clusterCaSecret().isPresent();
        return new RelayPoolModel(o.relayImage(), o.controllerAddress(), o.imagePullSecrets().orElse(java.util.List.of()),
                tls.plaintext(), issuing ? tls.clusterCaCertSecret().orElse(null) : null);
    }
}

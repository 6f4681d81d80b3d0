package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.stripecast.controller.config.ControllerSettings;
import io.stripecast.controller.control.Coordinator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * In Kubernetes: compete for the leader Lease; the winner starts planning and the reconcilers, a standby
 * redirects relays to the winner. A leader that loses the Lease exits, so that two instances never plan at once;
 * Kubernetes restarts it as a standby. Outside Kubernetes none of this runs and the coordinator plans at once.
 */
@ApplicationScoped
public class OperatorLifecycle {
    private static final Logger LOG = Logger.getLogger(OperatorLifecycle.class);

    @Inject
    ControllerSettings settings;
    @Inject
    Coordinator coordinator;
    @Inject
    Instance<KubernetesClient> client;
    @Inject
    Instance<Operator> operator;

    private Leadership leadership;
    private volatile boolean stopping;
    private volatile boolean operatorStarted;

    void onStart(@Observes StartupEvent event) {
        ControllerSettings.Operator o = settings.operator();
        if (!o.enabled()) {
            return;
        }
        KubernetesClient kube = client.get();
        String namespace = o.leaseNamespace().orElse(kube.getNamespace());
        String identity = Leadership.identity(settings.controller().id(), settings.controller().advertiseAddress().orElse(null));
        leadership = new Leadership(kube, new Leadership.Settings(namespace, o.leaseName(), identity, o.leaseDuration(),
                o.renewDeadline(), o.retryPeriod()), new Leadership.Listener() {
            @Override
            public void startedLeading() {
                LOG.infof("controller %s holds Lease %s/%s: planning and reconciling", identity, namespace, o.leaseName());
                coordinator.activate();
                operator.get().start();
                operatorStarted = true;
            }

            @Override
            public void stoppedLeading() {
                if (stopping) {
                    return;
                }
                LOG.warnf("controller %s lost the Lease; exiting so that only one controller plans", identity);
                Quarkus.asyncExit(1);
            }

            @Override
            public void leaderIs(String leader, String address) {
                if (!leader.equals(identity)) {
                    LOG.infof("controller %s stands by; the leader is %s", identity, leader);
                    coordinator.leaderAddress(address);
                }
            }
        });
        leadership.start();
        LOG.infof("controller %s competing for Lease %s/%s", identity, namespace, o.leaseName());
    }

    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        // We started the operator ourselves (not at boot), so we stop it: its informers and reconcile threads
        // must not outlive the application.
        if (operatorStarted) {
            try {
                operator.get().stop();
            } catch (RuntimeException e) {
                LOG.debugf("operator stop: %s", e.getMessage());
            }
        }
        if (leadership != null) {
            leadership.stop();
        }
    }
}

package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.stripecast.crds.RelayPool;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The pool's drain token (issue 16): a random token in a Secret {@code <pool>-drain-token}, created once and never
 * updated (no {@code Updater}: a desired state with a fresh random value would otherwise replace it at every
 * reconcile), deleted with the pool through its owner reference. Relay pods read it through a secretKeyRef, so it is
 * in no pod spec and cannot be derived from anything public (it used to be a hash of the pool's UID). The informer
 * watches only these Secrets, not every Secret of the namespace.
 */
@KubernetesDependent(informer = @Informer(labelSelector = RelayPoolModel.DRAIN_TOKEN_SELECTOR))
class DrainTokenSecretDependent extends KubernetesDependentResource<Secret, RelayPool>
        implements Creator<Secret, RelayPool>, GarbageCollected<RelayPool> {
    private static final SecureRandom RANDOM = new SecureRandom();

    DrainTokenSecretDependent() {
        super(Secret.class);
    }

    @Override
    protected Secret desired(RelayPool pool, Context<RelayPool> context) {
        byte[] token = new byte[32];
        RANDOM.nextBytes(token);
        return PoolModels.current().drainTokenSecret(pool, HexFormat.of().formatHex(token));
    }
}

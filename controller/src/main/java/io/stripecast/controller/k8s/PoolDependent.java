package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.stripecast.crds.RelayPool;

import java.util.function.BiFunction;

/**
 * One object of a RelayPool, as the model builds it. The SDK wants a class per dependent resource; each is this
 * with its type and the model method that builds it.
 */
abstract class PoolDependent<R extends HasMetadata> extends CRUDKubernetesDependentResource<R, RelayPool> {
    private final BiFunction<RelayPoolModel, RelayPool, R> build;

    PoolDependent(Class<R> type, BiFunction<RelayPoolModel, RelayPool, R> build) {
        super(type);
        this.build = build;
    }

    @Override
    protected R desired(RelayPool pool, Context<RelayPool> context) {
        return build.apply(PoolModels.current(), pool);
    }
}

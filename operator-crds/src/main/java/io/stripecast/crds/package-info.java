/**
 * The stripecast custom resources ({@code stripecast.io/v1alpha1}): {@link io.stripecast.crds.LiveStream} and
 * {@link io.stripecast.crds.RelayPool}. The CRD YAML, with its validation schema, is generated from these classes
 * by the build (Fabric8 CRD generator); the Helm chart carries a copy that a test keeps equal.
 */
package io.stripecast.crds;

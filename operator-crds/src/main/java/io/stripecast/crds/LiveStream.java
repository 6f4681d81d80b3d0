package io.stripecast.crds;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A live channel: its erasure code, window, ingest and the relay pool that carries it. */
@Group(LiveStream.GROUP)
@Version(LiveStream.VERSION)
@ShortNames("lst")
@AdditionalPrinterColumn(name = "READY", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "K", jsonPath = ".spec.k", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "M", jsonPath = ".spec.m", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "RELAYS", jsonPath = ".status.relays", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "DEPTH", jsonPath = ".status.maxDepth", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "POOL", jsonPath = ".spec.relayPool", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "REASON", jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "AGE", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class LiveStream extends CustomResource<LiveStreamSpec, LiveStreamStatus> implements Namespaced {
    public static final String GROUP = "stripecast.io";
    public static final String VERSION = "v1alpha1";
}

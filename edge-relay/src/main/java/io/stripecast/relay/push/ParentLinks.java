package io.stripecast.relay.push;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.stripecast.protocol.codec.StripeCodec;
import io.stripecast.protocol.trust.LiveCredentials;
import io.stripecast.protocol.trust.GrpcTls;
import io.stripecast.relay.config.RelaySettings;
import io.stripecast.relay.metrics.RelayMetrics;
import io.stripecast.relay.stream.StreamRegistry;
import io.stripecast.relay.stream.StreamRuntime;
import io.stripecast.relay.topology.ParentRef;
import io.stripecast.relay.topology.StreamAssignment;
import org.jboss.logging.Logger;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Applies assignments to the data plane: one {@link ParentLink} per (stream, stripe) that has a
 * parent, re-created only when that parent changes, over one channel per parent address.
 */
public final class ParentLinks {
    private static final Logger LOG = Logger.getLogger(ParentLinks.class);
    /** A shard is at most a whole 32 MiB segment (k = 1) plus its metadata. */
    private static final int MAX_INBOUND_BYTES = StripeCodec.MAX_SEGMENT_BYTES + 64 * 1024;

    private final StreamRegistry streams;
    private final RelaySettings settings;
    private final RelayMetrics metrics;
    private final Map<String, ParentLink> links = new HashMap<>();
    /** One channel per (parent address, parent id): the channel's TLS accepts that parent's certificate only. */
    private final Map<String, ManagedChannel> channels = new HashMap<>();
    private final Optional<LiveCredentials> tls;

    public ParentLinks(StreamRegistry streams, RelaySettings settings, RelayMetrics metrics, Optional<LiveCredentials> tls) {
        this.streams = streams;
        this.settings = settings;
        this.metrics = metrics;
        this.tls = tls;
    }

    public synchronized void apply(Map<String, StreamAssignment> assignments, boolean definesStreams) {
        if (definesStreams) {
            for (StreamAssignment a : assignments.values()) {
                if (a.spec() != null) {
                    streams.ensure(a.spec());
                }
            }
            for (StreamRuntime runtime : streams.all()) {
                if (!assignments.containsKey(runtime.spec().name())) {
                    streams.remove(runtime.spec().name());
                }
            }
        }
        Set<String> wanted = new HashSet<>();
        for (StreamRuntime runtime : streams.all()) {
            String stream = runtime.spec().name();
            StreamAssignment a = assignments.get(stream);
            runtime.setRoot(a != null && a.root());
            runtime.setStandbyIngest(a != null && !a.root() && a.standbyIngest());
            // A key the relay lacked until now: shards dropped for want of it ("no_keys", at a stream's start, or a new
            // ingest's) are still in the parents' windows, so this stream's links subscribe again from what is lacking.
            boolean newKey = a != null && runtime.trust().setKeys(a.ingestKeys());
            if (a == null || a.root()) {
                continue;
            }
            for (int stripe = 0; stripe < runtime.spec().stripes(); stripe++) {
                ParentRef parent = a.parent(stripe);
                if (parent == null) {
                    continue;
                }
                String key = stream + "/" + stripe;
                wanted.add(key);
                ParentLink current = links.get(key);
                if (current != null && Objects.equals(current.parent(), parent) && current.feeds(runtime) && !newKey) {
                    continue;
                }
                if (current != null) {
                    current.stop();
                }
                ParentLink link = new ParentLink(runtime, stripe, parent, channel(parent), settings.relay().id(),
                        metrics, streams.timer(), settings.relay().reconnectInitial(), settings.relay().reconnectMax());
                links.put(key, link);
                if (current == null || !Objects.equals(current.parent(), parent)) {
                    LOG.infof("stream %s stripe %d: parent is %s (%s)", stream, stripe, parent.relayId(), parent.address());
                }
                link.start();
            }
        }
        links.entrySet().removeIf(e -> {
            if (!wanted.contains(e.getKey())) {
                e.getValue().stop();
                return true;
            }
            return false;
        });
        Set<String> usedAddresses = new HashSet<>();
        links.values().forEach(l -> usedAddresses.add(channelKey(l.parent())));
        channels.entrySet().removeIf(e -> {
            if (!usedAddresses.contains(e.getKey())) {
                e.getValue().shutdown();
                return true;
            }
            return false;
        });
    }

    /** The parent this relay follows in a stripe, or null. */
    public synchronized ParentRef parentOf(String stream, int stripe) {
        ParentLink link = links.get(stream + "/" + stripe);
        return link == null ? null : link.parent();
    }

    private static String channelKey(ParentRef parent) {
        return parent.address() + "|" + parent.relayId();
    }

    private ManagedChannel channel(ParentRef parent) {
        return channels.computeIfAbsent(channelKey(parent), k -> secure(NettyChannelBuilder.forTarget(parent.address()), parent)
                .maxInboundMessageSize(MAX_INBOUND_BYTES)
                // A silent parent (partition, not a crash) is noticed by keepalive, not by waiting for data.
                .keepAliveTime(10, TimeUnit.SECONDS)
                .keepAliveTimeout(5, TimeUnit.SECONDS)
                .build());
    }

    /** A child accepts shards only from the parent the controller assigned: its certificate must name that relay. */
    private NettyChannelBuilder secure(NettyChannelBuilder b, ParentRef parent) {
        if (tls.isPresent()) {
            return b.sslContext(GrpcTls.clientOfRelay(tls.get(), parent.relayId()));
        }
        return b.usePlaintext();
    }

    public synchronized void close() {
        links.values().forEach(ParentLink::stop);
        links.clear();
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }
}

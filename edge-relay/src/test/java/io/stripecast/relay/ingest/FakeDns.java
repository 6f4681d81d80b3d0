package io.stripecast.relay.ingest;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Names under {@code .test} resolve to what a test sets, as an attacker's DNS would answer; other names resolve as
 * usual. A name with several answers gives them in turn, one per lookup, round and round (DNS rebinding).
 */
@Alternative
@Priority(1)
@ApplicationScoped
public class FakeDns extends UpstreamResolver {
    static final Map<String, List<InetAddress[]>> ANSWERS = new ConcurrentHashMap<>();
    static final Map<String, AtomicInteger> LOOKUPS = new ConcurrentHashMap<>();

    static void set(String name, String... addresses) {
        ANSWERS.put(name, List.<InetAddress[]>of(addresses(addresses)));
    }

    /** Lookups of the name get the two answers in turn: first, then, first, then... */
    static void alternate(String name, String first, String then) {
        ANSWERS.put(name, List.of(addresses(first), addresses(then)));
    }

    static InetAddress[] addresses(String... literals) {
        InetAddress[] out = new InetAddress[literals.length];
        for (int i = 0; i < literals.length; i++) {
            try {
                out[i] = InetAddress.getByName(literals[i]);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(e);
            }
        }
        return out;
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        if (!host.endsWith(".test")) {
            return super.resolve(host);
        }
        List<InetAddress[]> answers = ANSWERS.get(host);
        if (answers == null) {
            throw new UnknownHostException(host);
        }
        int n = LOOKUPS.computeIfAbsent(host, h -> new AtomicInteger()).getAndIncrement();
        return answers.get(n % answers.size());
    }
}

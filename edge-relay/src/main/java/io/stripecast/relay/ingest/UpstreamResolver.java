package io.stripecast.relay.ingest;

import jakarta.enterprise.context.ApplicationScoped;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Name resolution for pull ingest, a bean of its own so tests can give names the addresses an attacker would. */
@ApplicationScoped
public class UpstreamResolver {
    public InetAddress[] resolve(String host) throws UnknownHostException {
        return InetAddress.getAllByName(host);
    }
}

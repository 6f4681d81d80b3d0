package io.stripecast.relay.ingest;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** A CIDR block ({@code 10.0.0.0/8}, {@code fd00::/8}, or one address): a network pull ingest may reach although it is private. */
record AddressRange(byte[] network, int bits) {

    static AddressRange parse(String cidr) {
        String text = cidr.trim();
        int slash = text.indexOf('/');
        String host = slash < 0 ? text : text.substring(0, slash);
        if (host.isEmpty() || !host.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
            // Only literals: a name here would be resolved once at start and could point anywhere later.
            throw new IllegalArgumentException("not an address range: " + cidr);
        }
        byte[] network;
        try {
            network = InetAddress.getByName(host).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an address range: " + cidr, e);
        }
        int bits = slash < 0 ? network.length * 8 : Integer.parseInt(text.substring(slash + 1));
        if (bits < 0 || bits > network.length * 8) {
            throw new IllegalArgumentException("prefix length out of range: " + cidr);
        }
        return new AddressRange(network, bits);
    }

    boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != network.length) {
            return false;
        }
        int full = bits / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != network[i]) {
                return false;
            }
        }
        int rest = bits % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (a[full] & mask) == (network[full] & mask);
    }
}

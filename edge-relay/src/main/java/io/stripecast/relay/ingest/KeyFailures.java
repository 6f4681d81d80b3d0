package io.stripecast.relay.ingest;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Backoff after wrong publisher keys, per client address (issue 16): a few mistakes are free, then each wrong key
 * shuts the address out for twice as long as the last (up to a ceiling) and every request in that time is refused
 * unchecked, so guessing a key costs hours, not seconds. A right key clears the address. Bounded: at most
 * {@code maxAddresses} are remembered (the least recently failing go first) and an address idle for a while is
 * forgotten. IPv6 clients count by their /64, which one host usually holds whole.
 */
final class KeyFailures {
    private static final long FIRST_BACKOFF_MILLIS = 1000;
    private static final long FORGET_AFTER_MILLIS = 15 * 60_000;

    private static final class Entry {
        int failures;
        long blockedUntil;
        long lastFailure;
    }

    private final int free;
    private final long maxBackoffMillis;
    private final int maxAddresses;
    /** Access order: the eldest is the address that failed least recently. */
    private final LinkedHashMap<String, Entry> byAddress = new LinkedHashMap<>(64, 0.75f, true);

    KeyFailures(int free, long maxBackoffMillis, int maxAddresses) {
        this.free = free;
        this.maxBackoffMillis = maxBackoffMillis;
        this.maxAddresses = maxAddresses;
    }

    /** Milliseconds this address must still wait, 0 when it may try a key now. */
    synchronized long waitMillis(String address, long now) {
        Entry e = byAddress.get(client(address));
        return e == null ? 0 : Math.max(0, e.blockedUntil - now);
    }

    /** A wrong or missing key from this address. */
    synchronized void failed(String address, long now) {
        String client = client(address);
        Entry e = byAddress.get(client);
        if (e == null || now - e.lastFailure > FORGET_AFTER_MILLIS) {
            e = new Entry();
            byAddress.put(client, e);
        }
        e.failures++;
        e.lastFailure = now;
        if (e.failures > free) {
            int doublings = Math.min(e.failures - free - 1, 30);
            e.blockedUntil = now + Math.min(maxBackoffMillis, FIRST_BACKOFF_MILLIS << doublings);
        }
        while (byAddress.size() > maxAddresses) {
            Iterator<Map.Entry<String, Entry>> eldest = byAddress.entrySet().iterator();
            eldest.next();
            eldest.remove();
        }
    }

    /** The right key: this address starts afresh. */
    synchronized void succeeded(String address) {
        if (!byAddress.isEmpty()) {
            byAddress.remove(client(address));
        }
    }

    /** Drops addresses idle long enough to be forgotten (periodic). */
    synchronized void expire(long now) {
        byAddress.values().removeIf(e -> now - e.lastFailure > FORGET_AFTER_MILLIS && e.blockedUntil <= now);
    }

    synchronized int tracked() {
        return byAddress.size();
    }

    static String client(String address) {
        if (address == null || address.indexOf(':') < 0) {
            return address;
        }
        try {
            byte[] a = InetAddress.getByName(address).getAddress();
            if (a.length == 16) {
                StringBuilder prefix = new StringBuilder();
                for (int i = 0; i < 8; i += 2) {
                    prefix.append(Integer.toHexString(((a[i] & 0xff) << 8) | (a[i + 1] & 0xff))).append(':');
                }
                return prefix.append(":/64").toString();
            }
            return InetAddress.getByAddress(a).getHostAddress();
        } catch (UnknownHostException e) {
            return address;
        }
    }
}

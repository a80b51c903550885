package io.isthmus.rawsocket.bridge;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Open bridge connections per client address, capped; an entry goes away with its last connection. */
public final class ClientCaps {

    private final int perAddress;
    private final ConcurrentMap<InetAddress, AtomicInteger> open = new ConcurrentHashMap<>();

    public ClientCaps(int perAddress) {
        this.perAddress = perAddress;
    }

    /** Takes a slot for {@code client}; false when it already holds the cap. */
    public boolean tryAcquire(InetAddress client) {
        boolean[] ok = new boolean[1];
        open.compute(client, (k, n) -> {
            AtomicInteger count = n == null ? new AtomicInteger() : n;
            if (count.get() < perAddress) {
                count.incrementAndGet();
                ok[0] = true;
            }
            return count.get() == 0 ? null : count;
        });
        return ok[0];
    }

    public void release(InetAddress client) {
        open.computeIfPresent(client, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    /** Connections {@code client} holds now. */
    public int held(InetAddress client) {
        AtomicInteger n = open.get(client);
        return n == null ? 0 : n.get();
    }
}

package io.isthmus.webroute.pairing;

import io.isthmus.core.frontdoor.ClientPrefix;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One waiting slot per {@link PairingKey} (the reference's {@code unlinkedclients}). An arriving
 * connection either claims the waiter in its slot, takes the empty slot, or is refused; a claimed slot is
 * empty again at once, so a third connection with the same key becomes a new waiter.
 *
 * <p>Caps: in all ({@code maxWaiting}) and per client ({@code maxWaitingPerIp}: one IPv4 address or one
 * IPv6 prefix, see {@link ClientPrefix}). A partner always links, whatever the caps (it frees a slot). A
 * full table does not simply refuse newcomers, which would let a few clients that fill it lock everyone
 * else out: a newcomer whose client holds fewer waiters than the client holding the most displaces that
 * client's oldest waiter (fair share), and is refused only when its own client is among those holding
 * the most. So a fresh pair meets even while the table is full.
 *
 * <p>Thread-safe. Each operation is one short critical section; nothing here touches a channel, so a
 * caller decides what a refusal, a displacement or a withdrawal means on the wire.
 */
public final class PairingRegistry {

    private final PairingLimits limits;
    /** In arrival order, so that the oldest waiter of a client is found first. */
    private final Map<PairingKey, Waiter> slots = new LinkedHashMap<>();
    /** Waiters per client (IPv4 address, IPv6 prefix). */
    private final Map<InetAddress, Integer> perAddress = new HashMap<>();

    public PairingRegistry(PairingLimits limits) {
        this.limits = limits;
    }

    public PairingLimits limits() {
        return limits;
    }

    /**
     * Pairs {@code newcomer} by {@code rule}. A waiter found dead in the slot (its close not yet reported
     * on its own event loop) is dropped and never linked.
     */
    public synchronized Arrival arrive(Waiter newcomer, PairingRule rule) {
        if (!newcomer.isAlive()) {
            return new Arrival.Refused(Arrival.Reason.GONE);
        }
        Waiter waiting = slots.get(newcomer.key());
        if (waiting != null && !waiting.isAlive()) {
            removeLocked(waiting);
            waiting = null;
        }
        if (waiting != null) {
            if (!rule.linksWith().contains(waiting.role())) {
                return new Arrival.Refused(Arrival.Reason.SLOT_TAKEN);
            }
            removeLocked(waiting);
            return new Arrival.Matched(waiting);
        }
        if (!rule.mayWait()) {
            return new Arrival.Refused(Arrival.Reason.NO_WAITER);
        }
        InetAddress address = client(newcomer);
        int own = address == null ? 0 : perAddress.getOrDefault(address, 0);
        if (address != null && own >= limits.maxWaitingPerIp()) {
            return new Arrival.Refused(Arrival.Reason.WAITING_FULL_FOR_ADDRESS);
        }
        Waiter evicted = null;
        if (slots.size() >= limits.maxWaiting()) {
            evicted = fairShareVictim(own);
            if (evicted == null) {
                return new Arrival.Refused(Arrival.Reason.WAITING_FULL);
            }
            removeLocked(evicted);
        }
        slots.put(newcomer.key(), newcomer);
        if (address != null) {
            perAddress.merge(address, 1, Integer::sum);
        }
        return new Arrival.Parked(evicted);
    }

    /**
     * The oldest waiter of the client holding the most waiters, when that is more than {@code own} (what the
     * newcomer's client holds); else null. Runs only while the table is full.
     */
    private Waiter fairShareVictim(int own) {
        int most = 0;
        for (int n : perAddress.values()) {
            most = Math.max(most, n);
        }
        if (most <= own) {
            return null;
        }
        for (Waiter w : slots.values()) {
            InetAddress a = client(w);
            if (a != null && perAddress.getOrDefault(a, 0) == most) {
                return w;
            }
        }
        return null;
    }

    /** What the per-client cap counts for a waiter: its address, or its IPv6 prefix; null when unknown. */
    private InetAddress client(Waiter waiter) {
        InetAddress address = waiter.clientAddress();
        return address == null ? null : ClientPrefix.of(address, limits.ipv6PrefixLength());
    }

    /** Takes {@code waiter} out of its slot; true when it was still waiting (not linked, not withdrawn before). */
    public synchronized boolean withdraw(Waiter waiter) {
        if (slots.get(waiter.key()) != waiter) {
            return false;
        }
        removeLocked(waiter);
        return true;
    }

    /** Takes every waiter that {@code which} selects out of its slot (a Remoted server left its path; a drain). */
    public synchronized List<Waiter> withdrawIf(Predicate<Waiter> which) {
        List<Waiter> gone = new ArrayList<>();
        for (Iterator<Waiter> it = slots.values().iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (which.test(w)) {
                it.remove();
                forgetAddress(w);
                w.cancelDeadline();
                gone.add(w);
            }
        }
        return gone;
    }

    /** Connections waiting now. */
    public synchronized int waiting() {
        return slots.size();
    }

    /** Connections waiting now from one client (the address's IPv6 prefix counts). */
    public synchronized int waitingFrom(InetAddress address) {
        return perAddress.getOrDefault(ClientPrefix.of(address, limits.ipv6PrefixLength()), 0);
    }

    /** Whether a waiter holds the slot of {@code key} (Remoted checks before asking its server to connect back). */
    public synchronized boolean isWaiting(PairingKey key) {
        return slots.containsKey(key);
    }

    private void removeLocked(Waiter waiter) {
        slots.remove(waiter.key());
        forgetAddress(waiter);
        waiter.cancelDeadline();
    }

    private void forgetAddress(Waiter waiter) {
        InetAddress address = client(waiter);
        if (address != null) {
            perAddress.computeIfPresent(address, (a, n) -> n == 1 ? null : n - 1);
        }
    }
}

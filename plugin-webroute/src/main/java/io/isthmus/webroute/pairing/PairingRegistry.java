package io.isthmus.webroute.pairing;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One waiting slot per {@link PairingKey} (the reference's {@code unlinkedclients}). An arriving
 * connection either claims the waiter in its slot, takes the empty slot, or is refused; a claimed slot is
 * empty again at once, so a third connection with the same key becomes a new waiter.
 *
 * <p>Thread-safe. Each operation is one short critical section; nothing here touches a channel, so a
 * caller decides what a refusal or a withdrawal means on the wire.
 */
public final class PairingRegistry {

    private final PairingLimits limits;
    private final Map<PairingKey, Waiter> slots = new HashMap<>();
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
        if (slots.size() >= limits.maxWaiting()) {
            return new Arrival.Refused(Arrival.Reason.WAITING_FULL);
        }
        InetAddress address = newcomer.clientAddress();
        if (address != null && perAddress.getOrDefault(address, 0) >= limits.maxWaitingPerIp()) {
            return new Arrival.Refused(Arrival.Reason.WAITING_FULL_FOR_ADDRESS);
        }
        slots.put(newcomer.key(), newcomer);
        if (address != null) {
            perAddress.merge(address, 1, Integer::sum);
        }
        return new Arrival.Parked();
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

    /** Connections waiting now from one client address. */
    public synchronized int waitingFrom(InetAddress address) {
        return perAddress.getOrDefault(address, 0);
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
        InetAddress address = waiter.clientAddress();
        if (address != null) {
            perAddress.computeIfPresent(address, (a, n) -> n == 1 ? null : n - 1);
        }
    }
}

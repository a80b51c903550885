package io.isthmus.webroute.pairing;

/** What became of a connection that arrived at the {@link PairingRegistry}. */
public sealed interface Arrival permits Arrival.Matched, Arrival.Parked, Arrival.Refused {

    /** A waiter was there and suitable: it left its slot and is now the arriving connection's partner. */
    record Matched(Waiter partner) implements Arrival {
    }

    /**
     * The arriving connection took the slot and waits. {@code evicted} (may be null): the waiter it displaced
     * from a full table, already out of its slot; the caller answers it (503) and closes it.
     */
    record Parked(Waiter evicted) implements Arrival {
        public Parked() {
            this(null);
        }
    }

    /** Neither: nothing in the registry changed. */
    record Refused(Reason reason) implements Arrival {
    }

    enum Reason {
        /** The global cap on waiting connections is reached. */
        WAITING_FULL,
        /** The cap on waiting connections from one client address is reached. */
        WAITING_FULL_FOR_ADDRESS,
        /** {@link PairingRule#mayWait()} is false and nobody suitable waits. */
        NO_WAITER,
        /** The slot holds a waiter of a role this connection may not link with. */
        SLOT_TAKEN,
        /** The connection ended before it could wait. */
        GONE,
        /** The gateway is draining and takes no new waiters. */
        DRAINING,
        /** Memory is above its high mark and the gateway takes no new work ({@code isthmus.limits.memory}). */
        OVERLOADED;

        /** The metric label. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}

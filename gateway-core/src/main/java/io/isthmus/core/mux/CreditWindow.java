package io.isthmus.core.mux;

/**
 * The receiving side's account of one stream's flow control: how much the peer may have outstanding
 * ({@link #window()}), how much it has ({@link #outstanding()}), and how much has been consumed since the
 * last grant. The unit is bytes (wsmux ACK) or packets (Wisp CONTINUE).
 *
 * <p>Credit goes back only when data has been consumed (delivered onwards), so a receiver that stops
 * consuming stops the sender. A peer that sends beyond what it was allowed has overrun its credit:
 * {@link #received} says so and the stream, never the session, pays for it. Not thread-safe: one stream,
 * one event loop.
 *
 * <p>Two kinds of grant: <em>adding</em> (wsmux: the peer adds each grant to its credit) and
 * <em>replacing</em> ({@link #replacing}; Wisp: the peer's credit becomes the granted figure, forgetting what
 * it sent while the grant travelled). For the latter the window keeps an upper bound of the peer's
 * cumulative send limit and grants only what keeps that bound within one window of what was consumed, so
 * no race of grants and data in flight can let an honest peer overrun.
 */
public final class CreditWindow {

    /** What credit counts. */
    public enum Unit {
        /** Every payload byte costs one unit (wsmux). */
        BYTES,
        /** Every data message costs one unit, whatever its size (Wisp). */
        PACKETS;

        /** The units a data message of {@code bytes} bytes costs. */
        public long cost(int bytes) {
            return this == BYTES ? bytes : 1;
        }
    }

    private final Unit unit;
    private final long window;
    private long grantThreshold;
    private final boolean replacing;
    private final boolean batching;
    private final boolean bounded;
    private long outstanding;
    private long consumedSinceGrant;
    /** Replacing grants: units received, units consumed, and the most the peer may ever have sent. */
    private long receivedTotal;
    private long consumedTotal;
    private long limit;

    /**
     * @param window         most units the peer may have sent and not yet been granted back
     * @param grantThreshold consumed units worth a grant on their own, before a flush point ({@link #takeGrant(boolean)})
     */
    public CreditWindow(Unit unit, long window, long grantThreshold) {
        this(unit, window, grantThreshold, false, true, false);
    }

    private CreditWindow(Unit unit, long window, long grantThreshold, boolean replacing, boolean bounded) {
        this(unit, window, grantThreshold, replacing, bounded, false);
    }

    private CreditWindow(Unit unit, long window, long grantThreshold, boolean replacing, boolean bounded,
                         boolean batching) {
        if (window <= 0 || grantThreshold <= 0) {
            throw new IllegalArgumentException("window and grant threshold must be positive");
        }
        if (replacing && grantThreshold > window) {
            throw new IllegalArgumentException("a grant threshold above the window would never be reached");
        }
        this.unit = unit;
        this.window = window;
        this.grantThreshold = grantThreshold;
        this.replacing = replacing;
        this.bounded = bounded;
        this.batching = batching;
        this.limit = window;
    }

    /**
     * An adding window whose grants wait until {@code grantThreshold} units were consumed, flush point or not
     * (wsmux: one ACK per quarter window instead of one per read batch). What stays below the threshold is
     * owed, never more than the threshold, so a peer whose window is at least four thresholds always keeps
     * three quarters of it to send: no timer is needed for progress. The owner may pay it with
     * {@link #takeAll} (wsmux: before its FIN). Credit still returns only for consumed units, so
     * back-pressure is unchanged.
     */
    public static CreditWindow batching(Unit unit, long window, long grantThreshold) {
        if (grantThreshold > window) {
            throw new IllegalArgumentException("a grant threshold above the window would never be reached");
        }
        return new CreditWindow(unit, window, grantThreshold, false, true, true);
    }

    /**
     * A window whose grants replace the peer's credit (Wisp's CONTINUE {@code buffer_remaining}): the peer
     * starts with {@code window} units; a grant is made once at least {@code grantThreshold} units can be
     * given without the peer's possible limit exceeding {@code consumed + window}, and it is that figure.
     * Granting only then keeps the peer from starving: a peer that still had credit when a grant arrived
     * had at most {@code window - grantThreshold} of it.
     */
    public static CreditWindow replacing(Unit unit, long window, long grantThreshold) {
        return new CreditWindow(unit, window, grantThreshold, true, true);
    }

    /**
     * A receiving side without flow control (Wisp's UDP streams, where a datagram is dropped rather than
     * held back): nothing is ever an overrun and nothing is ever granted.
     */
    public static CreditWindow unbounded(Unit unit) {
        return new CreditWindow(unit, Long.MAX_VALUE / 4, Long.MAX_VALUE / 4, false, false);
    }

    public Unit unit() {
        return unit;
    }

    public long window() {
        return window;
    }

    /** Whether grants wait for the threshold even at flush points ({@link #batching}). */
    public boolean batching() {
        return batching;
    }

    public long grantThreshold() {
        return grantThreshold;
    }

    /**
     * Lowers the grant threshold to {@code units} (never raises it, never below 1): the peer said its own
     * window is smaller than ours (a wsmux client assumes ours equals its own), and it must get credit back
     * before it runs out.
     */
    public void lowerGrantThreshold(long units) {
        grantThreshold = Math.max(1, Math.min(grantThreshold, units));
    }

    /** Units received and not yet granted back (replacing: received and not yet consumed). */
    public long outstanding() {
        return replacing ? receivedTotal - consumedTotal : outstanding;
    }

    /** Units the peer may still send before it overruns, never below 0. */
    public long remaining() {
        return Math.max(0, replacing ? limit - receivedTotal : window - outstanding);
    }

    /** Consumed units not yet granted back. */
    public long consumedSinceGrant() {
        return consumedSinceGrant;
    }

    /** Counts a data message of {@code bytes} bytes; false when it overruns the window (nothing is counted then). */
    public boolean received(int bytes) {
        if (!bounded) {
            return true;
        }
        long cost = unit.cost(bytes);
        if (replacing) {
            if (receivedTotal + cost > limit) {
                return false;
            }
            receivedTotal += cost;
            return true;
        }
        if (outstanding + cost > window) {
            return false;
        }
        outstanding += cost;
        return true;
    }

    /** A data message of {@code bytes} bytes was consumed (delivered onwards). */
    public void consumed(int bytes) {
        if (!bounded) {
            return;
        }
        long cost = unit.cost(bytes);
        consumedSinceGrant += cost;
        consumedTotal += cost;
    }

    /**
     * The units to grant now, or 0. Adding: everything consumed since the last grant when {@code flushPoint}
     * (the end of a batch) or when it reached the threshold. Replacing: the figure to send, once it reaches
     * the threshold. What is returned counts as granted.
     */
    public long takeGrant(boolean flushPoint) {
        if (replacing) {
            long grant = consumedTotal + window - limit;
            if (!bounded || grant < grantThreshold) {
                return 0;
            }
            limit += grant;
            consumedSinceGrant = 0;
            return grant;
        }
        long grant = consumedSinceGrant;
        if (grant == 0 || ((batching || !flushPoint) && grant < grantThreshold)) {
            return 0;
        }
        return takeAll();
    }

    /** Adding windows: everything consumed and not yet granted, now, whatever the threshold; counts as granted. */
    public long takeAll() {
        if (replacing) {
            throw new IllegalStateException("a replacing window grants only through takeGrant");
        }
        long grant = consumedSinceGrant;
        consumedSinceGrant = 0;
        outstanding -= Math.min(grant, outstanding);
        return grant;
    }

    @Override
    public String toString() {
        return "CreditWindow[" + unit + (replacing ? " replacing limit=" + limit + " received=" + receivedTotal
                + " consumed=" + consumedTotal : " outstanding=" + outstanding + "/" + window + " consumed=" + consumedSinceGrant) + "]";
    }
}

package io.isthmus.core.mux;

/**
 * The receiving side's account of one stream's flow control: how much the peer may have outstanding
 * ({@link #window()}), how much it has ({@link #outstanding()}), and how much has been consumed since the
 * last grant. The unit is bytes (wsmux ACK) or packets (Wisp CONTINUE).
 *
 * <p>Credit goes back only when data has been consumed (delivered onwards), so a receiver that stops
 * consuming stops the sender. A peer that sends beyond the window (plus its tolerance) has overrun its credit: {@link #received}
 * says so and the stream, never the session, pays for it. Not thread-safe: one stream, one event loop.
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
    private final long grantThreshold;
    private final long tolerance;
    private final boolean grantAtEveryFlushPoint;
    private final boolean bounded;
    private long outstanding;
    private long consumedSinceGrant;

    /**
     * @param window         most units the peer may have sent and not yet been granted back
     * @param grantThreshold consumed units worth a grant on their own, before a flush point ({@link #takeGrant(boolean)})
     */
    public CreditWindow(Unit unit, long window, long grantThreshold) {
        this(unit, window, grantThreshold, 0, true);
    }

    /**
     * A window for protocols whose grants are absolute figures or should come in batches.
     *
     * @param tolerance              units beyond {@code window} the peer may have outstanding before it counts
     *                               as an overrun. Wisp's CONTINUE says how much <em>remains</em>, and a client
     *                               that applies it forgets the packets it sent meanwhile, so an honest client
     *                               can be up to one window over
     * @param grantAtEveryFlushPoint true: everything consumed is granted at each flush point (wsmux); false:
     *                               only once {@code grantThreshold} units were consumed (fewer Wisp CONTINUEs;
     *                               the threshold must then be at most the window, or the peer would starve)
     */
    public CreditWindow(Unit unit, long window, long grantThreshold, long tolerance, boolean grantAtEveryFlushPoint) {
        this(unit, window, grantThreshold, tolerance, grantAtEveryFlushPoint, true);
    }

    private CreditWindow(Unit unit, long window, long grantThreshold, long tolerance, boolean grantAtEveryFlushPoint,
                         boolean bounded) {
        if (window <= 0 || grantThreshold <= 0 || tolerance < 0) {
            throw new IllegalArgumentException("window and grant threshold must be positive, tolerance not negative");
        }
        if (!grantAtEveryFlushPoint && grantThreshold > window) {
            throw new IllegalArgumentException("a grant threshold above the window would never be reached");
        }
        this.unit = unit;
        this.window = window;
        this.grantThreshold = grantThreshold;
        this.tolerance = tolerance;
        this.grantAtEveryFlushPoint = grantAtEveryFlushPoint;
        this.bounded = bounded;
    }

    /**
     * A receiving side without flow control (Wisp's UDP streams, where a datagram is dropped rather than
     * held back): nothing is ever an overrun and nothing is ever granted.
     */
    public static CreditWindow unbounded(Unit unit) {
        return new CreditWindow(unit, Long.MAX_VALUE / 4, Long.MAX_VALUE / 4, 0, false, false);
    }

    public Unit unit() {
        return unit;
    }

    public long window() {
        return window;
    }

    /** Units received and not yet granted back. */
    public long outstanding() {
        return outstanding;
    }

    /** Units the peer may still send within the window, never below 0 (Wisp reports this absolute figure). */
    public long remaining() {
        return Math.max(0, window - outstanding);
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
        if (outstanding + cost > window + tolerance) {
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
        consumedSinceGrant += unit.cost(bytes);
    }

    /**
     * The units to grant back now, or 0: everything consumed since the last grant when {@code flushPoint}
     * (the end of a batch) or when it reached the threshold. What is returned counts as granted.
     */
    public long takeGrant(boolean flushPoint) {
        long grant = consumedSinceGrant;
        if (grant == 0 || ((!flushPoint || !grantAtEveryFlushPoint) && grant < grantThreshold)) {
            return 0;
        }
        consumedSinceGrant = 0;
        outstanding -= Math.min(grant, outstanding);
        return grant;
    }

    @Override
    public String toString() {
        return "CreditWindow[" + unit + " outstanding=" + outstanding + "/" + window + " consumed=" + consumedSinceGrant + "]";
    }
}

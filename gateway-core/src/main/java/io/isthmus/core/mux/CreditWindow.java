package io.isthmus.core.mux;

/**
 * The receiving side's account of one stream's flow control: how much the peer may have outstanding
 * ({@link #window()}), how much it has ({@link #outstanding()}), and how much has been consumed since the
 * last grant. The unit is bytes (wsmux ACK) or packets (Wisp CONTINUE).
 *
 * <p>Credit goes back only when data has been consumed (delivered onwards), so a receiver that stops
 * consuming stops the sender. A peer that sends beyond the window has overrun its credit: {@link #received}
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
    private long outstanding;
    private long consumedSinceGrant;

    /**
     * @param window         most units the peer may have sent and not yet been granted back
     * @param grantThreshold consumed units worth a grant on their own, before a flush point ({@link #takeGrant(boolean)})
     */
    public CreditWindow(Unit unit, long window, long grantThreshold) {
        if (window <= 0 || grantThreshold <= 0) {
            throw new IllegalArgumentException("window and grant threshold must be positive");
        }
        this.unit = unit;
        this.window = window;
        this.grantThreshold = grantThreshold;
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

    /** Units the peer may still send before it overruns (Wisp reports this absolute figure). */
    public long remaining() {
        return window - outstanding;
    }

    /** Consumed units not yet granted back. */
    public long consumedSinceGrant() {
        return consumedSinceGrant;
    }

    /** Counts a data message of {@code bytes} bytes; false when it overruns the window (nothing is counted then). */
    public boolean received(int bytes) {
        long cost = unit.cost(bytes);
        if (outstanding + cost > window) {
            return false;
        }
        outstanding += cost;
        return true;
    }

    /** A data message of {@code bytes} bytes was consumed (delivered onwards). */
    public void consumed(int bytes) {
        consumedSinceGrant += unit.cost(bytes);
    }

    /**
     * The units to grant back now, or 0: everything consumed since the last grant when {@code flushPoint}
     * (the end of a batch) or when it reached the threshold. What is returned counts as granted.
     */
    public long takeGrant(boolean flushPoint) {
        long grant = consumedSinceGrant;
        if (grant == 0 || (!flushPoint && grant < grantThreshold)) {
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

package io.isthmus.core.mux;

/**
 * Why a stream closed, in words every multiplexing protocol can map to its own codes (Wisp's close reasons,
 * wsmux's FIN). Learnt from the splice's outcome or from the protocol itself.
 */
public enum MuxCloseReason {
    /** Both sides finished (a splice that completed or closed cleanly). */
    NORMAL(false),
    /** The other side of the splice failed (a reset, an I/O error). */
    RESET(true),
    /** The splice's idle timeout. */
    IDLE(true),
    /** The gateway is shutting down (drain deadline) or aborted the stream. */
    SHUTDOWN(true),
    /** The peer did not accept the stream in time. */
    TIMEOUT(true),
    /** The target refused the connection. */
    REFUSED(true),
    /** The target could not be reached (DNS, no route). */
    UNREACHABLE(true),
    /** The egress policy forbids the target. */
    BLOCKED(true),
    /** The peer sent beyond its credit; the stream (never the session) is closed. */
    OVERRUN(true),
    /** The peer broke the protocol on this stream. */
    PROTOCOL_ERROR(true),
    /** The session (parent WebSocket) ended under the stream. */
    SESSION_CLOSED(true);

    private final boolean error;

    MuxCloseReason(boolean error) {
        this.error = error;
    }

    /** Whether the stream ended abnormally (the splice then reports a reset). */
    public boolean error() {
        return error;
    }

    /** The reason for a splice outcome ({@code completed, closed, reset, idle, aborted}). */
    public static MuxCloseReason ofSpliceOutcome(String outcome) {
        return switch (outcome) {
            case "reset" -> RESET;
            case "idle" -> IDLE;
            case "aborted" -> SHUTDOWN;
            default -> NORMAL;
        };
    }
}

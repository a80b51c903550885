package io.isthmus.core.mux;

/** The cause a splice sees when a stream ended abnormally; carries the reason, no stack trace (it is not a bug). */
public final class MuxStreamClosedException extends Exception {

    private final MuxCloseReason reason;

    public MuxStreamClosedException(MuxCloseReason reason) {
        super("stream closed: " + reason.name().toLowerCase(java.util.Locale.ROOT), null, false, false);
        this.reason = reason;
    }

    public MuxCloseReason reason() {
        return reason;
    }
}

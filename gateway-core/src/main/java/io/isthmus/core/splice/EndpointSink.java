package io.isthmus.core.splice;

import io.netty.buffer.ByteBuf;

/** What an {@link Endpoint} reports to the splice, on the endpoint's event loop. */
public interface EndpointSink {

    /** Bytes arrived; the sink takes ownership. */
    void onData(ByteBuf data);

    /** A batch of reads ended: the moment to flush the other side. */
    void onReadComplete();

    /** The peer ended its output (TCP FIN, WebSocket close); no more data will arrive. */
    void onInputShutdown();

    /** The endpoint's own writability changed (its queue crossed a water mark, or credit arrived). */
    void onWritabilityChanged(boolean writable);

    /** The endpoint is gone; {@code cause} is null for an orderly close. Called once. */
    void onClosed(Throwable cause);
}

package io.isthmus.core.splice;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * One side of a splice: a byte stream with flow control. Kinds: a raw TCP channel, a WebSocket carrying
 * binary messages, a stream inside a multiplexed WebSocket (wsmux, Wisp: credit flow control of their
 * own), a UDP flow. The splice engine is the only caller once a splice is started; before that the plugin
 * that built the endpoint owns it.
 *
 * <p>Every method may be called from any thread; implementations hop to their event loop where needed.
 * {@link EndpointSink} callbacks come on {@link #eventLoop()}.
 */
public interface Endpoint {

    /** A short name for logs: {@code tcp}, {@code websocket}, {@code wisp-stream}, ... */
    String kind();

    EventLoop eventLoop();

    /**
     * Starts delivering this side's inbound bytes to {@code sink}, first those already read before the
     * splice began. Called once.
     */
    void open(EndpointSink sink);

    /** Queues bytes towards this side's peer; takes ownership of {@code data}. */
    void write(ByteBuf data);

    /**
     * Queues bytes like {@link #write(ByteBuf)} and tells {@code delivered} how many once the transport has
     * taken them (written to the socket, or handed to the stream that carries them); never for bytes that
     * are dropped. The splice counts bytes with it, so metrics and the access log say what was delivered,
     * not what was queued. Kinds that cannot tell report at once.
     */
    default void write(ByteBuf data, IntConsumer delivered) {
        int n = data.readableBytes();
        write(data);
        delivered.accept(n);
    }

    void flush();

    /** False while this side has more queued than it wants (above its high-water mark or out of credit). */
    boolean isWritable();

    /** Back-pressure from the splice: stop or resume delivering inbound bytes. */
    void setReading(boolean reading);

    /** Whether this side can end its output and still deliver input (a TCP FIN). */
    boolean supportsHalfClose();

    /** Ends this side's output once what is queued is flushed; closes instead where half-close is unsupported. */
    void shutdownOutput();

    /**
     * Ends this side once what is queued is delivered, without a reset that could destroy it: flushes, ends
     * the output (TCP FIN, WebSocket close frame), then discards whatever the peer still sends until it ends
     * its own output or a bounded linger passes, and only then closes. (Closing a socket with unread input
     * makes the kernel send a reset, and the peer's kernel then drops what it had not yet read.)
     */
    void close();

    /** Completes once this side is closed for good (after {@link #close()}'s linger, or an abort). */
    default Future<?> closeFuture() {
        return eventLoop().newSucceededFuture(null);
    }

    /** Closes now, dropping what is queued (idle timeout, drain deadline). */
    void abort();

    /**
     * The splice is ending with {@code outcome} ({@link SpliceResult#outcome()}); called just before
     * {@link #close()} or {@link #abort()} so a close can say why (a Wisp close reason, a wsmux FIN).
     */
    default void spliceEnding(String outcome, Throwable cause) {
    }

    /** The plain TCP channel behind this side when nothing but bytes flows on it (zero-copy eligibility), or null. */
    default Channel rawTcpChannel() {
        return null;
    }
}

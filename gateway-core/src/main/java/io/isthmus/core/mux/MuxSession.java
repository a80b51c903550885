package io.isthmus.core.mux;

import io.isthmus.core.splice.PlainWebSocketChannel;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One multiplexed WebSocket (the parent) carrying many {@link MuxStream}s: the stream map and its cap,
 * WebSocket control frames (ping, pong, close), flushes deferred to the end of the parent's read, credit
 * grants batched at the same point, the fan-out of the parent's writability to every stream, keepalive,
 * close and drain. Protocol framing lives in subclasses ({@link #onMessage}); everything here runs on the
 * parent's event loop.
 *
 * <p>Install the session as the last handler of the parent's pipeline, behind the WebSocket frame codec
 * (and an aggregator when the protocol allows fragmented messages). The keepalive starts when it is added.
 */
public abstract class MuxSession extends ChannelInboundHandlerAdapter {

    /** How long a peer that broke the WebSocket rules has to answer our close frame. */
    private static final Duration VIOLATION_CLOSE_GRACE = Duration.ofSeconds(1);

    protected final Channel parent;
    private final IntObjectHashMap<MuxStream> streams = new IntObjectHashMap<>();
    private final int maxStreams;
    private final MuxKeepalive keepalive;
    private final Promise<Void> closeFuture;
    private final List<MuxStream> grantsDue = new ArrayList<>();
    private final List<MuxStream> readsDue = new ArrayList<>();
    private final Runnable flushTask = this::scheduledFlush;
    private boolean inRead;
    private boolean flushNeeded;
    private boolean flushScheduled;
    private boolean closed;
    private boolean draining;
    private boolean closeSent;

    protected MuxSession(Channel parent, int maxStreams, MuxKeepalive keepalive) {
        if (maxStreams <= 0) {
            throw new IllegalArgumentException("max streams must be positive");
        }
        this.parent = parent;
        this.maxStreams = maxStreams;
        this.keepalive = keepalive;
        this.closeFuture = parent.eventLoop().newPromise();
    }

    public Channel parent() {
        return parent;
    }

    public EventLoop eventLoop() {
        return parent.eventLoop();
    }

    public int maxStreams() {
        return maxStreams;
    }

    /** Streams in the map now; on the event loop. */
    public int streamCount() {
        return streams.size();
    }

    /** The stream with {@code id}, or null; on the event loop. */
    public MuxStream stream(int id) {
        return streams.get(id);
    }

    /** Whether {@code id} is taken by a live stream; on the event loop. */
    public boolean inUse(int id) {
        return streams.containsKey(id);
    }

    /** Completes when the parent is closed and every stream has been told. */
    public io.netty.util.concurrent.Future<Void> closeFuture() {
        return closeFuture;
    }

    public boolean isClosed() {
        return closed;
    }

    public boolean isDraining() {
        return draining;
    }

    /**
     * The parent when frames can be written below the WebSocket codec with payloads spliced in the kernel
     * ({@link PlainWebSocketChannel}); null otherwise.
     */
    public Channel plainParent() {
        return closed ? null : PlainWebSocketChannel.of(parent);
    }

    /** Whether the parent takes more writes now; streams are writable only while it does. */
    public boolean parentWritable() {
        return parent.isWritable();
    }

    /**
     * Adds a stream to the map; false (nothing added) when the session is closed or draining, the cap is
     * reached or the id is taken. On the event loop.
     */
    public boolean add(MuxStream stream) {
        if (closed || draining || streams.size() >= maxStreams || streams.containsKey(stream.id())) {
            return false;
        }
        streams.put(stream.id(), stream);
        return true;
    }

    /** Called by a stream when it is finished; a draining session closes with its last stream. */
    void removed(MuxStream stream) {
        if (streams.get(stream.id()) == stream) {
            streams.remove(stream.id());
        }
        grantsDue.remove(stream);
        readsDue.remove(stream);
        if (draining && streams.isEmpty() && !closed) {
            close(1001, "going away", Duration.ofSeconds(1));
        }
    }

    /**
     * Writes a protocol frame without flushing: the flush comes at the end of the parent's read, or in a
     * task queued on the event loop when the write came from elsewhere (a splice on the stream side).
     * Takes ownership of {@code frame}.
     */
    public void send(Object frame) {
        if (closed) {
            ReferenceCountUtil.release(frame);
            return;
        }
        parent.write(frame, parent.voidPromise());
        flushNeeded = true;
        if (!inRead) {
            scheduleFlush();
        }
    }

    /** Writes and flushes a control frame at once (pings must not wait behind a read batch). */
    public void sendControl(Object frame) {
        if (closed) {
            ReferenceCountUtil.release(frame);
            return;
        }
        parent.writeAndFlush(frame, parent.voidPromise());
    }

    /** Flushes what {@link #send} queued: now, or at the end of the current read. */
    public void flush() {
        if (inRead) {
            flushNeeded = true;
        } else {
            flushNow();
        }
    }

    /** A stream consumed data and owes its peer credit; granted at the next flush point. */
    void creditDue(MuxStream stream) {
        if (!stream.grantQueued) {
            stream.grantQueued = true;
            grantsDue.add(stream);
        }
        if (!inRead) {
            scheduleFlush();
        }
    }

    /**
     * A stream handed data to its splice; the splice hears "read complete" (its cue to flush the other side)
     * once per stream at the end of the parent's read, or in a task when the data came from elsewhere.
     */
    void readCompleteDue(MuxStream stream) {
        if (!stream.readCompleteQueued) {
            stream.readCompleteQueued = true;
            readsDue.add(stream);
        }
        if (!inRead) {
            scheduleFlush();
        }
    }

    private void scheduleFlush() {
        if (!flushScheduled) {
            flushScheduled = true;
            eventLoop().execute(flushTask);
        }
    }

    private void scheduledFlush() {
        flushScheduled = false;
        flushNow();
    }

    private void flushNow() {
        if (!readsDue.isEmpty()) {
            MuxStream[] due = readsDue.toArray(new MuxStream[0]);
            readsDue.clear();
            for (MuxStream s : due) {
                s.readCompleteQueued = false;
                s.readComplete();
            }
        }
        if (!grantsDue.isEmpty()) {
            MuxStream[] due = grantsDue.toArray(new MuxStream[0]);
            grantsDue.clear();
            for (MuxStream s : due) {
                s.grantQueued = false;
                s.grantNow();
            }
        }
        if (flushNeeded && !closed) {
            flushNeeded = false;
            parent.flush();
        }
    }

    /**
     * Handles one protocol message (binary or text WebSocket frame); takes ownership. Runs inside the
     * parent's read, so frames it sends are flushed together at the read's end.
     */
    protected abstract void onMessage(ChannelHandlerContext ctx, WebSocketFrame frame);

    /** The parent closed; every stream has already been closed with {@link MuxCloseReason#SESSION_CLOSED}. */
    protected void onClosed() {
    }

    /** The keepalive found the peer dead, just before the session is aborted (count it). */
    protected void onPeerDead() {
    }

    /** Called by the keepalive: the peer missed its pong; aborts the session (TCP close, no close frame). */
    public void peerDead() {
        onPeerDead();
        abort();
    }

    /**
     * Sends a WebSocket close frame and closes the TCP connection when it is answered, or after
     * {@code grace} at the latest (peers that never answer a close, like the Go wsmux, must not keep it).
     */
    public void close(int code, String reason, Duration grace) {
        if (closed) {
            return;
        }
        if (closeSent) {
            return;
        }
        closeSent = true;
        draining = true;
        parent.writeAndFlush(new CloseWebSocketFrame(code, reason));
        eventLoop().schedule(() -> {
            parent.close();
        }, grace.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Closes the parent now (TCP close, no close frame); every stream learns {@code SESSION_CLOSED}. */
    public void abort() {
        parent.close();
    }

    /** Refuses new streams from now on and closes (1001) once the last stream is gone. */
    public void drain() {
        if (eventLoop().inEventLoop()) {
            startDraining();
        } else {
            eventLoop().execute(this::startDraining);
        }
    }

    private void startDraining() {
        draining = true;
        if (streams.isEmpty()) {
            close(1001, "going away", Duration.ofSeconds(1));
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            // Closed before the session was installed: it will hear no channelInactive.
            channelInactive(ctx);
            return;
        }
        keepalive.start(this);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        inRead = true;
        if (!(msg instanceof WebSocketFrame frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (frame instanceof PingWebSocketFrame ping) {
            keepalive.frameReceived();
            send(new PongWebSocketFrame(ping.content()));
        } else if (frame instanceof PongWebSocketFrame) {
            frame.release();
            keepalive.pongReceived();
        } else if (frame instanceof CloseWebSocketFrame) {
            frame.release();
            // The peer is leaving: its streams are over (the Go wsmux never echoes a close either).
            abort();
        } else {
            keepalive.frameReceived();
            onMessage(ctx, frame);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inRead = false;
        flushNow();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        for (MuxStream s : snapshot()) {
            s.parentWritabilityChanged();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (closed) {
            return;
        }
        closed = true;
        keepalive.stop();
        for (MuxStream s : snapshot()) {
            s.peerClosed(MuxCloseReason.SESSION_CLOSED);
        }
        streams.clear();
        grantsDue.clear();
        readsDue.clear();
        onClosed();
        closeFuture.trySuccess(null);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException) {
            // An oversized or malformed frame: the frame decoder sends its close frame (1009, 1002) and closes
            // once it is out; closing here cut it off, and the peer saw a bare TCP close.
            return;
        }
        if (cause instanceof TooLongFrameException) {
            // A fragmented message beyond the aggregator's cap: RFC 6455's 1009, as for one oversized frame.
            close(1009, "Message too big", VIOLATION_CLOSE_GRACE);
            return;
        }
        ctx.close();
    }

    private MuxStream[] snapshot() {
        return streams.values().toArray(new MuxStream[0]);
    }

    /** Runs {@code task} on the event loop (now when already there). */
    void onLoop(Runnable task) {
        if (eventLoop().inEventLoop()) {
            task.run();
        } else {
            eventLoop().execute(task);
        }
    }

    /** Closes the parent once everything written is flushed. */
    protected void closeAfterFlush() {
        parent.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
}

package io.isthmus.core.splice;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.function.Consumer;

/**
 * An endpoint that is a whole Netty channel (TCP, WebSocket). Its handler is installed when the plugin
 * adopts the channel, so no byte is lost between a handshake and the splice: until {@link #open} it holds
 * what arrives (up to a limit, then stops reading) and remembers an end of input or a close; {@link #open}
 * delivers the held bytes first. Subclasses turn channel messages into bytes and back.
 */
public abstract class ChannelEndpoint implements Endpoint {

    public static final String HANDLER_NAME = "isthmus-endpoint";

    protected final Channel channel;
    private final Handler handler;

    protected ChannelEndpoint(Channel channel, int holdLimit) {
        this.channel = channel;
        this.handler = new Handler(holdLimit);
    }

    /** Installs the handler and takes {@code alreadyRead} (may be null) as the first inbound message(s). */
    protected final void install(Object alreadyRead) {
        if (!channel.isActive()) {
            ReferenceCountUtil.release(alreadyRead);
            handler.closed = true;
            return;
        }
        channel.pipeline().addLast(HANDLER_NAME, handler);
        if (alreadyRead != null) {
            deliverAlreadyRead(alreadyRead);
        }
        if (handler.held() <= handler.holdLimit) {
            channel.config().setAutoRead(true);
        }
    }

    /** Feeds bytes read before adoption; the WebSocket kind runs them through its frame decoder first. */
    protected void deliverAlreadyRead(Object alreadyRead) {
        handler.inbound(channel.pipeline().context(handler), alreadyRead);
    }

    /**
     * Whether each inbound piece is a message whose boundaries must survive until the splice opens (held
     * pieces are then queued one by one, not merged into one buffer).
     */
    protected boolean holdsMessages() {
        return false;
    }

    /** Converts an inbound channel message to bytes, or handles it and returns null (control frames). */
    protected abstract ByteBuf toBytes(ChannelHandlerContext ctx, Object msg);

    /** Wraps outbound bytes as the channel's message type. */
    protected abstract Object fromBytes(ByteBuf data);

    /** Called by subclasses when their protocol says the peer will send no more (a close frame). */
    protected final void inputEnded() {
        handler.inputShutdown();
    }

    /**
     * Called by subclasses that sent their FIN themselves and let the channel close at the peer's FIN:
     * a clean close from then on is reported as the end of input first, as a half-close would have been.
     */
    protected final void outputShutDown() {
        handler.outputShutDown = true;
    }

    public Channel channel() {
        return channel;
    }

    /** Bytes held before the splice opened this endpoint. */
    public int heldBytes() {
        return handler.held();
    }

    /** Whether the peer ended its output or the connection closed while the endpoint was held. */
    public boolean endedWhileHeld() {
        return handler.inputEnded || handler.closed || !channel.isActive();
    }

    @Override
    public EventLoop eventLoop() {
        return channel.eventLoop();
    }

    /**
     * Moves the channel onto {@code target} (deregister, then register there) so that one thread serves
     * both sides of a splice. Call before {@link #open}: what the handler holds stays in the pipeline and is
     * delivered by {@code open}, and whatever the socket receives meanwhile waits in the kernel until the
     * channel is registered again (Netty reads again on re-registration when auto-read is on). The future
     * says whether the channel now lives on {@code target}; on failure it stays where it was, or is closed
     * when it cannot go back.
     *
     * <p>Only epoll and NIO channels move: their reads wait in the kernel while unregistered. An io_uring
     * channel keeps a read submitted to its old ring, whose completion would land on the old loop (bytes
     * then stall: seen with Netty 4.2.18), so it stays where it is.
     */
    Future<Boolean> moveTo(EventLoop target) {
        Promise<Boolean> moved = target.newPromise();
        EventLoop home = channel.eventLoop();
        Runnable move = () -> {
            if (!movable(channel) || !channel.isRegistered() || !channel.isOpen()) {
                moved.setSuccess(false);
                return;
            }
            channel.deregister().addListener(gone -> {
                if (!gone.isSuccess()) {
                    moved.setSuccess(false);
                    return;
                }
                target.register(channel).addListener(there -> {
                    if (there.isSuccess()) {
                        resumeAfterMove();
                        moved.setSuccess(true);
                        return;
                    }
                    if (!channel.isOpen()) {
                        dropHeldOfDeadChannel();
                        moved.setSuccess(false);
                        return;
                    }
                    home.register(channel).addListener(back -> {
                        if (back.isSuccess()) {
                            resumeAfterMove();
                        } else {
                            channel.close();
                            dropHeldOfDeadChannel();
                        }
                        moved.setSuccess(false);
                    });
                });
            });
        };
        if (home.inEventLoop()) {
            move.run();
        } else {
            home.execute(move);
        }
        return moved;
    }

    private static boolean movable(Channel channel) {
        return channel instanceof io.netty.channel.epoll.AbstractEpollStreamChannel
                || channel instanceof io.netty.channel.nio.AbstractNioChannel;
    }

    /**
     * Re-registration starts the transport's interest set afresh: reads resume by themselves when auto-read
     * is on, but a write that was waiting for the socket to drain must be flushed again to be noticed.
     */
    private void resumeAfterMove() {
        channel.flush();
    }

    /** A channel closed while it belonged to no event loop never runs its pipeline's teardown. */
    private void dropHeldOfDeadChannel() {
        handler.dropHeld();
    }

    /**
     * For the kernel splice path: runs every close of the channel through {@code gate}, which gets the close
     * to run once the channel is Netty's again. A channel closed while deregistered from its event loop
     * would skip its pipeline's teardown (no channelInactive, so the splice would never hear of it).
     */
    void guardClose(Consumer<Runnable> gate) {
        handler.closeGate = gate;
    }

    /** Like {@link #open} but pauses reading (the kernel path decides when to read); on the event loop. */
    void openPaused(EndpointSink sink) {
        handler.open(sink, false);
    }

    @Override
    public void open(EndpointSink sink) {
        if (eventLoop().inEventLoop()) {
            handler.open(sink, true);
        } else {
            eventLoop().execute(() -> handler.open(sink, true));
        }
    }

    @Override
    public void write(ByteBuf data) {
        channel.write(fromBytes(data), channel.voidPromise());
    }

    @Override
    public void flush() {
        channel.flush();
    }

    @Override
    public boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    public void setReading(boolean reading) {
        if (eventLoop().inEventLoop()) {
            applyReading(reading);
        } else {
            eventLoop().execute(() -> applyReading(reading));
        }
    }

    private void applyReading(boolean reading) {
        // Once the input has ended there is nothing to read; re-arming a read then makes Netty 4.2's epoll
        // transport modify a registration it no longer holds (epoll_ctl ENOENT) and close the channel.
        if (!handler.inputEnded && channel.isActive()) {
            channel.config().setAutoRead(reading);
        }
    }

    @Override
    public void close() {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }

    @Override
    public void abort() {
        channel.close();
    }

    /**
     * Holds inbound events until the splice opens the endpoint, then passes them on to the sink; lets the
     * kernel path see a close first.
     */
    private final class Handler extends ChannelDuplexHandler {
        private final int holdLimit;
        private EndpointSink sink;
        /** What arrived before the splice opened: the one buffer read, or a composite once there are more. */
        private ByteBuf held;
        /** What arrived before the splice opened, for endpoints whose pieces are messages. */
        private java.util.ArrayDeque<ByteBuf> heldMessages;
        private int heldMessageBytes;
        private volatile boolean inputEnded;
        private volatile boolean closed;
        private boolean outputShutDown;
        private Throwable failure;
        private Consumer<Runnable> closeGate;

        Handler(int holdLimit) {
            this.holdLimit = holdLimit;
        }

        int held() {
            return held == null ? heldMessageBytes : held.readableBytes();
        }

        void open(EndpointSink target, boolean resumeReading) {
            this.sink = target;
            if (held != null) {
                ByteBuf first = held;
                held = null;
                target.onData(first);
                target.onReadComplete();
            }
            if (heldMessages != null) {
                java.util.ArrayDeque<ByteBuf> messages = heldMessages;
                heldMessages = null;
                heldMessageBytes = 0;
                for (ByteBuf m = messages.poll(); m != null; m = messages.poll()) {
                    target.onData(m);
                }
                target.onReadComplete();
            }
            if (inputEnded) {
                target.onInputShutdown();
            }
            // A channel closed while it was being moved between event loops fires no channelInactive.
            if (closed || !channel.isOpen()) {
                closed = true;
                target.onClosed(failure);
                return;
            }
            applyReading(resumeReading);
        }

        void dropHeld() {
            if (held != null) {
                held.release();
                held = null;
            }
            if (heldMessages != null) {
                for (ByteBuf m = heldMessages.poll(); m != null; m = heldMessages.poll()) {
                    m.release();
                }
                heldMessages = null;
                heldMessageBytes = 0;
            }
        }

        void inbound(ChannelHandlerContext ctx, Object msg) {
            ByteBuf data = toBytes(ctx, msg);
            if (data == null) {
                return;
            }
            if (sink != null) {
                sink.onData(data);
                return;
            }
            if (holdsMessages()) {
                // An empty message is still a message.
                if (heldMessages == null) {
                    heldMessages = new java.util.ArrayDeque<>();
                }
                heldMessages.add(data);
                heldMessageBytes += data.readableBytes();
            } else if (!data.isReadable()) {
                data.release();
                return;
            } else if (held == null) {
                // Most endpoints hold one read (a greeting) or nothing: no composite for them.
                held = data;
            } else {
                CompositeByteBuf all = held instanceof CompositeByteBuf c ? c
                        : ctx.alloc().compositeBuffer(Integer.MAX_VALUE).addComponent(true, held);
                held = all.addComponent(true, data);
            }
            if (held() > holdLimit) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        void inputShutdown() {
            inputEnded = true;
            if (sink != null) {
                sink.onInputShutdown();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            inbound(ctx, msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (sink != null) {
                sink.onReadComplete();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                inputShutdown();
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
            Consumer<Runnable> gate = closeGate;
            if (gate == null) {
                ctx.close(promise);
            } else {
                gate.accept(() -> ctx.close(promise));
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (sink != null) {
                sink.onWritabilityChanged(ctx.channel().isWritable());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closed = true;
            if (outputShutDown && failure == null && !inputEnded) {
                inputShutdown();
            }
            if (sink != null) {
                sink.onClosed(failure);
            }
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            dropHeld();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A reset, an I/O error or a protocol violation: the connection is finished, and the splice
            // hears of it through channelInactive with this cause.
            if (failure == null) {
                failure = cause;
            }
            ctx.close();
        }
    }
}

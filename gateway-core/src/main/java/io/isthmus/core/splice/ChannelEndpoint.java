package io.isthmus.core.splice;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;

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

    /** Converts an inbound channel message to bytes, or handles it and returns null (control frames). */
    protected abstract ByteBuf toBytes(ChannelHandlerContext ctx, Object msg);

    /** Wraps outbound bytes as the channel's message type. */
    protected abstract Object fromBytes(ByteBuf data);

    /** Called by subclasses when their protocol says the peer will send no more (a close frame). */
    protected final void inputEnded() {
        handler.inputShutdown();
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

    @Override
    public void open(EndpointSink sink) {
        if (eventLoop().inEventLoop()) {
            handler.open(sink);
        } else {
            eventLoop().execute(() -> handler.open(sink));
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

    /** Holds inbound events until the splice opens the endpoint, then passes them on to the sink. */
    private final class Handler extends ChannelInboundHandlerAdapter {
        private final int holdLimit;
        private EndpointSink sink;
        private CompositeByteBuf held;
        private volatile boolean inputEnded;
        private volatile boolean closed;
        private Throwable failure;

        Handler(int holdLimit) {
            this.holdLimit = holdLimit;
        }

        int held() {
            return held == null ? 0 : held.readableBytes();
        }

        void open(EndpointSink target) {
            this.sink = target;
            if (held != null) {
                ByteBuf first = held;
                held = null;
                target.onData(first);
                target.onReadComplete();
            }
            if (inputEnded) {
                target.onInputShutdown();
            }
            if (closed) {
                target.onClosed(failure);
                return;
            }
            applyReading(true);
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
            if (!data.isReadable()) {
                data.release();
                return;
            }
            if (held == null) {
                held = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
            }
            held.addComponent(true, data);
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
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (sink != null) {
                sink.onWritabilityChanged(ctx.channel().isWritable());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closed = true;
            if (sink != null) {
                sink.onClosed(failure);
            }
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            if (held != null) {
                held.release();
                held = null;
            }
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

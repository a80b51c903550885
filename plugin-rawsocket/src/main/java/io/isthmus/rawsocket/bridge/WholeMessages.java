package io.isthmus.rawsocket.bridge;

import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import java.util.function.IntConsumer;

/**
 * Joins the fragments of a binary message, for endpoints where one message is one unit (a datagram).
 * A message longer than {@code limit} is dropped whole and reported to {@code onDrop}: UDP could not carry
 * it, and dropping keeps the flow alive. Other frames pass untouched.
 */
public final class WholeMessages extends ChannelInboundHandlerAdapter {

    private final int limit;
    private final IntConsumer onDrop;
    private CompositeByteBuf pending;
    private boolean dropping;
    private int droppingSize;

    public WholeMessages(int limit, IntConsumer onDrop) {
        this.limit = limit;
        this.onDrop = onDrop;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof BinaryWebSocketFrame first) {
            if (first.isFinalFragment()) {
                int n = first.content().readableBytes();
                if (n > limit) {
                    first.release();
                    onDrop.accept(n);
                    return;
                }
                ctx.fireChannelRead(first);
                return;
            }
            dropPending();
            pending = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
            append(first.content().retain());
            first.release();
            return;
        }
        if (msg instanceof ContinuationWebSocketFrame next && (pending != null || dropping)) {
            if (!dropping) {
                append(next.content().retain());
            } else {
                droppingSize += next.content().readableBytes();
            }
            boolean last = next.isFinalFragment();
            next.release();
            if (last) {
                if (dropping) {
                    dropping = false;
                    onDrop.accept(droppingSize);
                } else {
                    CompositeByteBuf whole = pending;
                    pending = null;
                    ctx.fireChannelRead(new BinaryWebSocketFrame(whole));
                }
            }
            return;
        }
        ctx.fireChannelRead(msg);
    }

    private void append(io.netty.buffer.ByteBuf part) {
        pending.addComponent(true, part);
        if (pending.readableBytes() > limit) {
            droppingSize = pending.readableBytes();
            pending.release();
            pending = null;
            dropping = true;
        }
    }

    private void dropPending() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
        dropping = false;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        dropPending();
    }
}

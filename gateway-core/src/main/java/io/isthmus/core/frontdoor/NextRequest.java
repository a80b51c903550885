package io.isthmus.core.frontdoor;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;

/**
 * HTTP keep-alive for plugins that answer plain requests (Bare): once a plugin has written its whole
 * response and removed its own handlers, it gives the connection back to the front door, which reads and
 * routes the next request head exactly as it did the first (so the next request may go to any plugin).
 * Between requests the head timeout is the keep-alive timeout; a connection that sends nothing in it is
 * closed without a reply.
 */
public final class NextRequest {

    static final AttributeKey<FrontDoorInitializer> FRONT_DOOR = AttributeKey.valueOf("isthmus.front-door");

    private NextRequest() {
    }

    /**
     * Installs the head reader and router again and feeds them {@code alreadyRead} (bytes the plugin read
     * past its request's end: a pipelined request; may be null or empty, ownership passes here). Call on
     * the channel's event loop, with none of the plugin's handlers left in the pipeline. Returns false (and
     * closes the channel) when the channel did not come through the front door or is already closed, or
     * when the gateway drains and no next request was read yet.
     */
    public static boolean read(Channel channel, ByteBuf alreadyRead) {
        FrontDoorInitializer frontDoor = channel.attr(FRONT_DOOR).get();
        if (frontDoor == null || !channel.isActive()) {
            if (alreadyRead != null) {
                alreadyRead.release();
            }
            channel.close();
            return false;
        }
        if (io.isthmus.core.drain.InFlight.isDraining(channel) && (alreadyRead == null || !alreadyRead.isReadable())) {
            // Draining: no next request on this connection (the client's next one goes to another
            // instance); FIN after the reply, as an idle keep-alive connection would end. A request
            // already sent behind this one is still served.
            if (alreadyRead != null) {
                alreadyRead.release();
            }
            io.isthmus.core.http.LingeringClose.after(channel.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER));
            return false;
        }
        HeadReader reader = frontDoor.installHeadReader(channel, true);
        if (alreadyRead == null || !alreadyRead.isReadable()) {
            if (alreadyRead != null) {
                alreadyRead.release();
            }
            channel.config().setAutoRead(true);
            return true;
        }
        // A pipelined request: parsed in a task of its own, never inside the previous request's call chain
        // (hundreds of pipelined requests nested the calls, and the buffers, hundreds deep: one connection
        // pinned its event loop), and only once the replies so far have drained below the high-water mark
        // (a client that sends requests but never reads replies must not make the gateway buffer them).
        // Meanwhile nothing more is read, so no later byte overtakes these; a client that reads nothing for
        // the keep-alive (head) timeout is closed by the reader's clock.
        channel.config().setAutoRead(false);
        ChannelHandlerContext ctx = channel.pipeline().context(reader);
        channel.eventLoop().execute(() -> feedWhenWritable(channel, ctx, reader, alreadyRead));
        return true;
    }

    private static void feedWhenWritable(Channel channel, ChannelHandlerContext ctx, HeadReader reader, ByteBuf bytes) {
        if (ctx.isRemoved() || !channel.isActive()) {
            bytes.release();
            return;
        }
        if (!channel.isWritable()) {
            channel.pipeline().addBefore(ctx.name(), null, new ChannelInboundHandlerAdapter() {
                @Override
                public void channelWritabilityChanged(ChannelHandlerContext gate) {
                    if (gate.channel().isWritable()) {
                        gate.pipeline().remove(this);
                        feedWhenWritable(channel, ctx, reader, bytes);
                    }
                    gate.fireChannelWritabilityChanged();
                }

                @Override
                public void channelInactive(ChannelHandlerContext gate) {
                    bytes.release();
                    gate.fireChannelInactive();
                }
            });
            return;
        }
        channel.config().setAutoRead(true);
        reader.channelRead(ctx, bytes);
    }
}

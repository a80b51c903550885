package io.isthmus.core.frontdoor;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
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
        channel.config().setAutoRead(true);
        if (alreadyRead != null) {
            ChannelHandlerContext ctx = channel.pipeline().context(reader);
            if (alreadyRead.isReadable()) {
                reader.channelRead(ctx, alreadyRead);
            } else {
                alreadyRead.release();
            }
        }
        return true;
    }
}

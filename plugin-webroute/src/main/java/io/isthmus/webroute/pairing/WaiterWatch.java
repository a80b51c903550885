package io.isthmus.webroute.pairing;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;

/**
 * Notices at once that a waiting connection ended, so its slot is freed and nobody is linked to a dead
 * socket (the reference only polls an idle waiter once a second). It sits in front of the endpoint's
 * handler, sees only the end-of-input and inactive events (reads skip it), and passes them on.
 * A waiter that half-closes counts as gone, as in the reference.
 */
final class WaiterWatch extends ChannelInboundHandlerAdapter {

    static final String NAME = "webroute-waiter-watch";

    private final Runnable onEnd;

    WaiterWatch(Runnable onEnd) {
        this.onEnd = onEnd;
    }

    /** Takes the watch out of {@code channel}'s pipeline, if it is there; call on the channel's event loop. */
    static void removeFrom(Channel channel) {
        if (channel.pipeline().context(NAME) != null) {
            channel.pipeline().remove(NAME);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            onEnd.run();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        onEnd.run();
        ctx.fireChannelInactive();
    }
}

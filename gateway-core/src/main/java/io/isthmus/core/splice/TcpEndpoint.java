package io.isthmus.core.splice;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;

/** A TCP connection (plain or TLS) whose bytes are the stream. */
public final class TcpEndpoint extends ChannelEndpoint {

    private TcpEndpoint(Channel channel, int holdLimit) {
        super(channel, holdLimit);
    }

    /**
     * Takes over {@code channel}'s inbound stream; {@code alreadyRead} (may be null) holds bytes read from
     * it before, e.g. those behind a request head. Reading is turned on; once more than {@code holdLimit}
     * bytes are held, reading pauses until the splice opens the endpoint. Call on the channel's event loop.
     */
    public static TcpEndpoint adopt(Channel channel, ByteBuf alreadyRead, int holdLimit) {
        TcpEndpoint endpoint = new TcpEndpoint(channel, holdLimit);
        channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        endpoint.install(alreadyRead);
        return endpoint;
    }

    @Override
    public String kind() {
        return "tcp";
    }

    @Override
    protected ByteBuf toBytes(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf data) {
            return data;
        }
        ReferenceCountUtil.release(msg);
        return null;
    }

    @Override
    protected Object fromBytes(ByteBuf data) {
        return data;
    }

    @Override
    public boolean supportsHalfClose() {
        return channel instanceof DuplexChannel && channel.pipeline().get(SslHandler.class) == null;
    }

    @Override
    public void shutdownOutput() {
        if (!supportsHalfClose()) {
            close();
            return;
        }
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                ((DuplexChannel) channel).shutdownOutput();
            } else {
                channel.close();
            }
        });
    }

    @Override
    public Channel rawTcpChannel() {
        return supportsHalfClose() ? channel : null;
    }
}

package io.isthmus.core.splice;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;

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
                shutdownFlushedOutput();
            } else {
                channel.close();
            }
        });
    }

    /**
     * Sends the FIN once everything queued is written. On the native transports the socket is shut down
     * directly: Netty's {@code shutdownOutput} builds an exception with a full stack trace to fail queued
     * writes, and there are none here. Netty reads the shut-down state from the socket, so the channel
     * agrees. When the peer's FIN follows, the connection is over: the channel then closes at the end of
     * input instead of shutting a socket down that has already gone (which fails with ENOTCONN, another
     * exception with a stack trace), and the end of input is still reported first.
     * (The kernel path has handed a pair back to copying before any end of input is passed on.)
     */
    private void shutdownFlushedOutput() {
        if (channel instanceof UnixChannel unix && unix.fd() instanceof Socket socket) {
            try {
                socket.shutdown(false, true);
            } catch (IOException e) {
                channel.close();
                return;
            }
            outputShutDown();
            channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
        } else {
            ((DuplexChannel) channel).shutdownOutput();
        }
    }

    /**
     * The end of a lingering close: a TLS connection gets its close_notify (its TCP stays open until the
     * peer answers or the linger ends), a plain one its FIN.
     */
    @Override
    protected ChannelFuture endOutput() {
        SslHandler tls = channel.pipeline().get(SslHandler.class);
        if (tls != null) {
            return tls.closeOutbound();
        }
        if (!(channel instanceof DuplexChannel duplex)) {
            return channel.newSucceededFuture();
        }
        if (channel instanceof UnixChannel unix && unix.fd() instanceof Socket socket) {
            try {
                socket.shutdown(false, true);
            } catch (IOException e) {
                return channel.newFailedFuture(e);
            }
            // From now on the peer's FIN closes the channel (no shutdown of a socket that has gone).
            outputShutDown();
            channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
            return channel.newSucceededFuture();
        }
        return duplex.shutdownOutput();
    }

    @Override
    public Channel rawTcpChannel() {
        return supportsHalfClose() ? channel : null;
    }
}

package io.isthmus.rawsocket.wisp;

import io.isthmus.core.splice.ChannelEndpoint;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;

/**
 * A connected UDP channel as a splice endpoint: each inbound datagram is one buffer, each buffer written
 * is one datagram (the channel is connected, so it needs no address). The kernel only lets datagrams from
 * the connected (policy-checked) address in.
 *
 * <p>Kept in this package until the core has a datagram endpoint of its own (plugin-rawsocket part 1).
 */
final class UdpFlowEndpoint extends ChannelEndpoint {

    /** Datagrams held before the splice opens; the dial and the join run in one task, so none normally are. */
    private static final int HOLD_LIMIT = 256 * 1024;

    private UdpFlowEndpoint(Channel channel) {
        super(channel, HOLD_LIMIT);
    }

    /** Takes over a connected datagram channel and starts reading it; on its event loop. */
    static UdpFlowEndpoint adopt(Channel channel) {
        UdpFlowEndpoint endpoint = new UdpFlowEndpoint(channel);
        endpoint.install(null);
        return endpoint;
    }

    @Override
    public String kind() {
        return "udp";
    }

    @Override
    protected ByteBuf toBytes(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof DatagramPacket packet) {
            return packet.content();
        }
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
        return false;
    }

    @Override
    public void shutdownOutput() {
        close();
    }

    @Override
    public void close() {
        // Datagrams are written at once or dropped: flush, then close (no empty write, which UDP would send).
        channel.eventLoop().execute(() -> {
            channel.flush();
            channel.close();
        });
    }
}

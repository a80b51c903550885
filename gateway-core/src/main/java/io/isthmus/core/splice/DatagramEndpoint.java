package io.isthmus.core.splice;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.util.Objects;

/**
 * A connected UDP channel as an endpoint (DESIGN.md, "Multiplexed streams and UDP flows"): each inbound
 * datagram is one buffer, each buffer written is one datagram, so boundaries survive as long as the other
 * side keeps them too (a WebSocket endpoint in message mode, a Wisp UDP stream). Being connected, the
 * channel only hears from the address it was dialed to.
 *
 * <p>A datagram longer than {@code maxDatagram} is dropped either way and reported to the {@link Listener}:
 * UDP has no way to carry it, and losing one datagram is what UDP promises anyway. There is no end of input
 * (UDP has no FIN); a flow ends when the other side closes or the splice's idle timeout fires.
 */
public final class DatagramEndpoint extends ChannelEndpoint {

    /** The largest UDP payload over IPv4 (65,535 minus the IP and UDP headers). */
    public static final int MAX_UDP_PAYLOAD = 65_507;

    /** What happens to datagrams, for metrics; called on the channel's event loop. */
    public interface Listener {
        /** A datagram arrived from the peer (before any drop). */
        void received(int bytes);

        /** A datagram was handed to the socket for the peer. */
        void sent(int bytes);

        /** A datagram was dropped; {@code inbound} when it came from the peer, else it was to go to it. */
        void droppedOversize(boolean inbound, int bytes);

        Listener NONE = new Listener() {
            @Override
            public void received(int bytes) {
            }

            @Override
            public void sent(int bytes) {
            }

            @Override
            public void droppedOversize(boolean inbound, int bytes) {
            }
        };
    }

    private final int maxDatagram;
    private final Listener listener;

    private DatagramEndpoint(DatagramChannel channel, int holdLimit, int maxDatagram, Listener listener) {
        super(channel, holdLimit, true);
        this.maxDatagram = maxDatagram;
        this.listener = listener;
    }

    /**
     * Takes over a connected datagram channel (e.g. from {@code EgressDialer.connectUdp}). Its receive
     * buffer is sized one byte over {@code maxDatagram}, so that a longer datagram (truncated by the
     * kernel to the buffer) is recognised and dropped rather than passed on cut. Call on its event loop.
     */
    public static DatagramEndpoint adopt(DatagramChannel channel, int holdLimit, int maxDatagram, Listener listener) {
        if (maxDatagram < 1 || maxDatagram > MAX_UDP_PAYLOAD) {
            throw new IllegalArgumentException("maxDatagram must be between 1 and " + MAX_UDP_PAYLOAD);
        }
        if (!channel.isConnected()) {
            throw new IllegalArgumentException("the datagram channel must be connected");
        }
        DatagramEndpoint endpoint = new DatagramEndpoint(channel, holdLimit, maxDatagram, Objects.requireNonNull(listener));
        channel.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(maxDatagram + 1));
        endpoint.install(null);
        return endpoint;
    }

    @Override
    public String kind() {
        return "udp";
    }

    @Override
    protected ByteBuf toBytes(ChannelHandlerContext ctx, Object msg) {
        ByteBuf data;
        if (msg instanceof DatagramPacket packet) {
            data = packet.content();
        } else if (msg instanceof ByteBuf buf) {
            data = buf;
        } else {
            ReferenceCountUtil.release(msg);
            return null;
        }
        int n = data.readableBytes();
        listener.received(n);
        if (n > maxDatagram) {
            data.release();
            listener.droppedOversize(true, n);
            return null;
        }
        return data;
    }

    @Override
    protected Object fromBytes(ByteBuf data) {
        return data;
    }

    @Override
    public void write(ByteBuf data) {
        if (admit(data)) {
            super.write(data);
        }
    }

    @Override
    public void write(ByteBuf data, java.util.function.IntConsumer delivered) {
        if (admit(data)) {
            super.write(data, delivered);
        }
    }

    /** Whether {@code data} goes out as one datagram; an oversize one is dropped and reported. */
    private boolean admit(ByteBuf data) {
        int n = data.readableBytes();
        if (n > maxDatagram) {
            data.release();
            listener.droppedOversize(false, n);
            return false;
        }
        listener.sent(n);
        return true;
    }

    /** UDP has no end of output to send; {@link #close()} does not linger (nothing to wait for). */
    @Override
    protected io.netty.channel.ChannelFuture endOutput() {
        return channel.newSucceededFuture();
    }

    @Override
    public boolean supportsHalfClose() {
        return false;
    }

    @Override
    public void shutdownOutput() {
        close();
    }

    /**
     * Flushes, then closes. Not the stream kinds' close (an empty write as a flush marker): on a datagram
     * socket that empty write would go out as an empty datagram.
     */
    @Override
    public void close() {
        if (eventLoop().inEventLoop()) {
            channel.flush();
            channel.close();
        } else {
            eventLoop().execute(this::close);
        }
    }
}

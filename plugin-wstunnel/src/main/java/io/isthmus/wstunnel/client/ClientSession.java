package io.isthmus.wstunnel.client;

import io.isthmus.core.mux.PingKeepalive;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.core.splice.SpliceOptions;
import io.isthmus.core.splice.TcpEndpoint;
import io.isthmus.wstunnel.wsmux.WsmuxSession;
import io.isthmus.wstunnel.wsmux.WsmuxStream;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The client's side of a wsmux session: every stream the server opens is accepted (ACK with our window)
 * and joined to a new connection to the local target, as the Go wst-client does (§7): local EOF ends the
 * stream, the stream's FIN closes the local connection, a refused dial closes the stream at once.
 */
final class ClientSession extends WsmuxSession {

    /** The local target is ours to reach: loopback, no egress policy (the operator named the port). */
    private final InetSocketAddress target;
    private final Class<? extends Channel> channelType;
    private final SpliceEngine splices;
    private final Consumer<String> log;
    /** One bootstrap for every local dial of the session (building one per stream showed in profiles). */
    private final Bootstrap dialer;

    ClientSession(Channel parent, InetSocketAddress target, Class<? extends Channel> channelType, SpliceEngine splices,
                  Duration pingInterval, long window, Consumer<String> log) {
        super(parent, 100_000, new PingKeepalive(pingInterval, true, null), window, Events.NONE);
        this.target = target;
        this.channelType = channelType;
        this.splices = splices;
        this.log = log;
        parent.config().setWriteBufferWaterMark(SESSION_WATER_MARK);
        this.dialer = new Bootstrap().group(parent.eventLoop()).channel(channelType)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.RCVBUF_ALLOCATOR, LOCAL_READS)
                .handler(NO_HANDLER);
    }

    private static final SpliceOptions SPLICE = SpliceOptions.of("wst-client", Duration.ofHours(1)).withHalfClose(false);

    /** Local connections get their handlers when the splice adopts them. */
    private static final ChannelInitializer<SocketChannel> NO_HANDLER = new ChannelInitializer<>() {
        @Override
        protected void initChannel(SocketChannel ch) {
        }
    };

    /** Response bodies go to the server in frames this large (fewer frames, headers and masks per MiB). */
    static final int MAX_DATA_PAYLOAD = 256 * 1024;

    /**
     * Bytes a stream queues before its local reads pause, and the session's socket before every stream's do.
     * Both are above one full local read: at the defaults (256 KiB, Netty's 64 KiB) every 256 KiB read
     * flipped the stream unwritable until the flush a moment later, and each flip paused and resumed the
     * local read, two epoll_ctl calls per read (about 160 per 10 MiB) and a wake-up of the event loop.
     */
    static final int STREAM_QUEUE_HIGH_WATER = 4 * MAX_DATA_PAYLOAD;
    private static final WriteBufferWaterMark SESSION_WATER_MARK =
            new WriteBufferWaterMark(4 * MAX_DATA_PAYLOAD, 8 * MAX_DATA_PAYLOAD);

    /** Reads from the local target grow up to one full frame. */
    private static final AdaptiveRecvByteBufAllocator LOCAL_READS = new AdaptiveRecvByteBufAllocator(512, 8192, MAX_DATA_PAYLOAD);

    @Override
    protected int maxDataPayload() {
        return MAX_DATA_PAYLOAD;
    }

    /**
     * A DAT's header is new and its payload is a local read (or a slice of one) that nothing reads again
     * once it is sent, so the encoder may mask it in place.
     */
    @Override
    protected WebSocketFrame dataFrame(ByteBuf frame) {
        return new MaskInPlaceFrame(frame);
    }

    @Override
    protected void peerOpened(int id) {
        WsmuxStream stream = accept(id);
        if (stream == null) {
            return;
        }
        stream.queueHighWater(STREAM_QUEUE_HIGH_WATER);
        dialer.connect(target).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                log.accept("stream " + Integer.toUnsignedString(id) + ": cannot reach " + target + ": " + f.cause().getMessage());
                stream.close();
                return;
            }
            TcpEndpoint local = TcpEndpoint.adopt(f.channel(), null, MAX_DATA_PAYLOAD);
            // The first end of input closes both sides, as the Go client does: a FIN from the server
            // means the exchange is over, and local EOF is the end of the stream.
            splices.join(stream, local, SPLICE);
        });
    }
}

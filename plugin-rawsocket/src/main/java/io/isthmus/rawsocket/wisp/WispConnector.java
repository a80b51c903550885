package io.isthmus.rawsocket.wisp;

import io.isthmus.core.egress.DialOptions;
import io.isthmus.core.egress.EgressTarget;
import io.isthmus.core.mux.MuxCloseReason;
import io.isthmus.core.mux.MuxStream;
import io.isthmus.core.splice.DatagramEndpoint;
import io.isthmus.core.splice.Endpoint;
import io.netty.channel.socket.DatagramChannel;
import io.isthmus.core.splice.SpliceOptions;
import io.isthmus.core.splice.TcpEndpoint;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Turns a CONNECT into a stream: the checks of the Wisp endpoint (stream type, UDP on/off, direct IPs,
 * the stream limit), then the core's {@code EgressDialer} (the egress policy, on the session's event loop),
 * then a splice between the stream and the dialed TCP connection or UDP flow. Every refusal is a CLOSE with
 * the spec's reason (§B.6): 0x41 invalid, 0x42 unreachable, 0x43 connect timeout, 0x44 refused, 0x48
 * blocked, 0x49 throttled.
 */
final class WispConnector {

    /** Dialed channels get their handler when the endpoint adopts them; nothing to add before. */
    @ChannelHandler.Sharable
    private static final class NoHandlers extends ChannelInitializer<Channel> {
        @Override
        protected void initChannel(Channel ch) {
        }
    }

    private static final ChannelHandler NO_HANDLERS = new NoHandlers();
    /** Bytes a dialed TCP connection may hold before its splice opens (it opens in the same task). */
    /** Datagrams held before the splice opens; the dial and the join run in one task, so none normally are. */
    private static final int UDP_HOLD_LIMIT = 256 * 1024;
    private static final int HOLD_LIMIT = 256 * 1024;

    private final WispServer server;

    WispConnector(WispServer server) {
        this.server = server;
    }

    /** A plain CONNECT; {@code payload} is read, not kept. */
    void connect(WispSession session, int id, ByteBuf payload, DirectSocketsExtension.Options options) {
        WispPacket.Connect c = WispPacket.Connect.parse(payload);
        if (id == 0 || c == null) {
            server.metrics().ignored("bad_connect");
            return;
        }
        open(session, id, c, options);
    }

    /** The Direct Sockets extension's CONNECT_EX: options, then OPENED and half-close for this stream. */
    void connectEx(WispSession session, int id, ByteBuf payload) {
        DirectSocketsExtension.ParsedConnect p = DirectSocketsExtension.parse(payload);
        if (id == 0) {
            server.metrics().ignored("bad_connect");
            return;
        }
        if (p == null) {
            if (!session.inUse(id)) {
                refuse(session, id, WispCloseReason.INVALID_INFO);
            }
            return;
        }
        open(session, id, p.connect(), p.options());
    }

    private void open(WispSession session, int id, WispPacket.Connect c, DirectSocketsExtension.Options options) {
        WispConfig config = server.config();
        if (session.inUse(id)) {
            server.metrics().ignored("duplicate_stream");
            return;
        }
        boolean udp = c.streamType() == WispPacket.STREAM_UDP;
        if (c.streamType() != WispPacket.STREAM_TCP && !udp) {
            refuse(session, id, WispCloseReason.INVALID_INFO);
            return;
        }
        EgressTarget target = new EgressTarget(c.host(), c.port());
        if ((udp && !config.udp()) || (!config.allowDirectIp() && target.isAddressLiteral())) {
            refuse(session, id, WispCloseReason.BLOCKED);
            return;
        }
        if (!io.isthmus.core.overload.Admission.admits(session.parent(), WispRoute.PROTOCOL,
                io.isthmus.core.overload.Admission.Work.STREAM)) {
            // Memory is short (isthmus.limits.memory): the spec's "throttled"; the session's other streams go on.
            refuse(session, id, WispCloseReason.THROTTLED);
            return;
        }
        boolean extended = options != null;
        WispStream stream = udp ? new WispUdpStream(session, id)
                : new WispStream(session, id, WispStream.window(config), extended);
        if (!session.add(stream)) {
            refuse(session, id, WispCloseReason.THROTTLED);
            return;
        }
        server.metrics().streamOpened(udp);
        DialOptions dialOptions = extended ? options.dialOptions() : DialOptions.defaults();
        Future<? extends Channel> dial = udp
                ? server.dialer().connectUdp(target, server.policy(), session.eventLoop(), NO_HANDLERS,
                        server.metrics().protocol(), dialOptions)
                : server.dialer().connect(target, server.policy(), session.eventLoop(), NO_HANDLERS,
                        server.metrics().protocol(), dialOptions);
        ScheduledFuture<?> timeout = null;
        if (extended && options.connectTimeoutMillis() != null && options.connectTimeoutMillis() > 0) {
            timeout = session.eventLoop().schedule(() -> {
                if (dial.cancel(false)) {
                    server.metrics().connect(WispCloseReason.CONNECT_TIMEOUT.label());
                    stream.closeNow(MuxCloseReason.TIMEOUT, true);
                }
            }, options.connectTimeoutMillis(), TimeUnit.MILLISECONDS);
        }
        ScheduledFuture<?> timer = timeout;
        dial.addListener(f -> {
            if (timer != null) {
                timer.cancel(false);
            }
            if (f.isCancelled()) {
                return;
            }
            dialed(session, stream, udp, options, f.isSuccess() ? (Channel) f.getNow() : null, f.cause());
        });
    }

    private void dialed(WispSession session, WispStream stream, boolean udp, DirectSocketsExtension.Options options,
                        Channel channel, Throwable failure) {
        if (channel == null) {
            MuxCloseReason reason = WispCloseReason.ofDialFailure(failure);
            server.metrics().connect(WispCloseReason.of(reason).label());
            stream.closeNow(reason, true);
            return;
        }
        if (stream.state() == MuxStream.State.CLOSED) {
            // The client closed the stream, or the WebSocket went, while we dialed.
            server.metrics().connect("abandoned");
            channel.close();
            return;
        }
        server.metrics().connect("opened");
        WispConfig config = server.config();
        Endpoint target;
        SpliceOptions splice;
        if (udp) {
            if (options != null) {
                options.applyTo(channel);
            }
            // A datagram is one Wisp DATA packet, so the largest UDP payload is the bound either way.
            target = DatagramEndpoint.adopt((DatagramChannel) channel, UDP_HOLD_LIMIT, DatagramEndpoint.MAX_UDP_PAYLOAD,
                    DatagramEndpoint.Listener.NONE);
            splice = SpliceOptions.of(WispRoute.PROTOCOL, config.udpIdleTimeout()).withHalfClose(false);
        } else {
            if (options != null) {
                options.applyTo(channel);
            }
            target = TcpEndpoint.adopt(channel, null, HOLD_LIMIT);
            // Zero-copy (isthmus.splice.zero-copy): the target's bytes may go socket to pipe to DATA frames.
            splice = SpliceOptions.of(WispRoute.PROTOCOL,
                    options == null ? config.idleTimeout() : options.idleTimeout(config.idleTimeout())).withZeroCopy(true);
        }
        if (options != null) {
            session.send(DirectSocketsExtension.opened(channel.alloc(), stream.id(),
                    (InetSocketAddress) channel.remoteAddress(), (InetSocketAddress) channel.localAddress()));
        }
        server.splices().join(stream, target, splice);
    }

    private void refuse(WispSession session, int id, WispCloseReason reason) {
        server.metrics().connect(reason.label());
        session.send(WispPacket.close(session.parent().alloc(), id, reason));
    }
}

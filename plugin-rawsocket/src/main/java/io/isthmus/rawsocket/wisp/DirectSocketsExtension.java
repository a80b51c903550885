package io.isthmus.rawsocket.wisp;

import io.isthmus.core.egress.DialOptions;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The gateway's Wisp v2 extension for Direct Sockets ({@code 0xF1}, documented byte by byte in
 * plugin-rawsocket/README.md): per-stream options in CONNECT_EX, an OPENED reply with the resolved remote
 * and the local address, and END, a half-close either way. Only a client that lists the extension in its
 * INFO may use it; others see a plain Wisp server.
 */
public final class DirectSocketsExtension {

    /** The extension id in INFO records: far from the ids the draft assigns (0x01–0x05). */
    public static final int ID = 0xF1;
    public static final int VERSION = 1;

    /** Packet types the extension adds. */
    public static final int CONNECT_EX = 0xF1;
    public static final int OPENED = 0xF2;
    public static final int END = 0xF3;

    /** Option tags inside CONNECT_EX: {@code tag:u8 | len:u8 | value}. */
    static final int OPT_NO_DELAY = 0x01;
    static final int OPT_KEEP_ALIVE_DELAY = 0x02;
    static final int OPT_SEND_BUFFER_SIZE = 0x03;
    static final int OPT_RECEIVE_BUFFER_SIZE = 0x04;
    static final int OPT_DNS_QUERY_TYPE = 0x05;
    static final int OPT_CONNECT_TIMEOUT = 0x06;
    static final int OPT_IDLE_TIMEOUT = 0x07;

    /** Socket buffer sizes a client may ask for are clamped to this. */
    static final int MAX_BUFFER_SIZE = 4 << 20;

    private DirectSocketsExtension() {
    }

    /** The record the server lists in its INFO, and a client in its own. */
    public static WispPacket.Extension record() {
        return new WispPacket.Extension(ID, new byte[] {VERSION});
    }

    /** {@code END(stream)}: the sender will send no more DATA on this stream (a TCP FIN). */
    public static BinaryWebSocketFrame end(ByteBufAllocator alloc, int streamId) {
        return new BinaryWebSocketFrame(WispPacket.header(alloc, END, streamId, 0));
    }

    /**
     * {@code OPENED(stream)}: {@code remote_port:u16le | local_port:u16le | remote_len:u8 | remote | local[rest]},
     * the addresses as text (IPv6 without brackets).
     */
    public static BinaryWebSocketFrame opened(ByteBufAllocator alloc, int streamId, InetSocketAddress remote,
                                              InetSocketAddress local) {
        byte[] r = text(remote);
        byte[] l = text(local);
        ByteBuf b = WispPacket.header(alloc, OPENED, streamId, 5 + r.length + l.length)
                .writeShortLE(remote == null ? 0 : remote.getPort())
                .writeShortLE(local == null ? 0 : local.getPort())
                .writeByte(r.length).writeBytes(r).writeBytes(l);
        return new BinaryWebSocketFrame(b);
    }

    private static byte[] text(InetSocketAddress a) {
        if (a == null || a.getAddress() == null) {
            return new byte[0];
        }
        return NetUtil.toAddressString(a.getAddress()).getBytes(StandardCharsets.US_ASCII);
    }

    /** Per-stream options of a CONNECT_EX; null fields were not given. */
    public record Options(Boolean noDelay, Integer keepAliveDelayMillis, Integer sendBufferSize,
                          Integer receiveBufferSize, Integer dnsQueryType, Integer connectTimeoutMillis,
                          Integer idleTimeoutMillis) {

        static final Options NONE = new Options(null, null, null, null, null, null, null);

        /**
         * What the dial itself must know: the address family ({@code dnsQueryType} 4 or 6; anything else is
         * both) and the buffer sizes, set before connecting so that the TCP window scale follows them. The
         * connect timeout stays with the connector, which answers it with 0x43.
         */
        DialOptions dialOptions() {
            DialOptions.Family family = dnsQueryType == null ? DialOptions.Family.ANY : switch (dnsQueryType) {
                case 4 -> DialOptions.Family.IPV4;
                case 6 -> DialOptions.Family.IPV6;
                default -> DialOptions.Family.ANY;
            };
            Map<ChannelOption<?>, Object> channel = new LinkedHashMap<>();
            if (sendBufferSize != null) {
                channel.put(ChannelOption.SO_SNDBUF, Math.min(sendBufferSize, MAX_BUFFER_SIZE));
            }
            if (receiveBufferSize != null) {
                channel.put(ChannelOption.SO_RCVBUF, Math.min(receiveBufferSize, MAX_BUFFER_SIZE));
            }
            return new DialOptions(null, family, channel);
        }

        /** Applies TCP's socket options to a connected channel (buffer sizes were set by the dial). */
        void applyTo(Channel channel) {
            if (channel instanceof SocketChannel) {
                applyTcp(channel);
            }
        }

        private void applyTcp(Channel channel) {
            if (noDelay != null) {
                channel.config().setOption(ChannelOption.TCP_NODELAY, noDelay);
            }
            if (keepAliveDelayMillis != null && keepAliveDelayMillis > 0) {
                channel.config().setOption(ChannelOption.SO_KEEPALIVE, true);
                int seconds = (int) Math.max(1, (keepAliveDelayMillis + 999L) / 1000);
                if (channel instanceof EpollSocketChannel) {
                    channel.config().setOption(EpollChannelOption.TCP_KEEPIDLE, seconds);
                    channel.config().setOption(EpollChannelOption.TCP_KEEPINTVL, seconds);
                }
            }
        }

        /** The stream's idle (data) timeout: the client's, never beyond the server's. */
        Duration idleTimeout(Duration server) {
            if (idleTimeoutMillis == null || idleTimeoutMillis <= 0) {
                return server;
            }
            Duration asked = Duration.ofMillis(idleTimeoutMillis);
            return asked.compareTo(server) < 0 ? asked : server;
        }
    }

    /**
     * Reads a CONNECT_EX payload up to the hostname: {@code type:u8 | port:u16le | options_len:u16le | options}.
     * Returns the options and leaves {@code payload} at {@code type} again followed by port and hostname,
     * i.e. a plain CONNECT payload; null when it is malformed.
     */
    static ParsedConnect parse(ByteBuf payload) {
        if (payload.readableBytes() < 5) {
            return null;
        }
        int type = payload.readUnsignedByte();
        int port = payload.readUnsignedShortLE();
        int optionsLength = payload.readUnsignedShortLE();
        if (optionsLength > payload.readableBytes()) {
            return null;
        }
        ByteBuf options = payload.readSlice(optionsLength);
        Boolean noDelay = null;
        Integer keepAlive = null, sndBuf = null, rcvBuf = null, dns = null, connectTimeout = null, idle = null;
        while (options.isReadable()) {
            if (options.readableBytes() < 2) {
                return null;
            }
            int tag = options.readUnsignedByte();
            int len = options.readUnsignedByte();
            if (len > options.readableBytes()) {
                return null;
            }
            ByteBuf v = options.readSlice(len);
            switch (tag) {
                case OPT_NO_DELAY -> noDelay = len >= 1 && v.getByte(0) != 0;
                case OPT_KEEP_ALIVE_DELAY -> keepAlive = u32(v);
                case OPT_SEND_BUFFER_SIZE -> sndBuf = u32(v);
                case OPT_RECEIVE_BUFFER_SIZE -> rcvBuf = u32(v);
                case OPT_DNS_QUERY_TYPE -> dns = len >= 1 ? (int) v.getUnsignedByte(0) : null;
                case OPT_CONNECT_TIMEOUT -> connectTimeout = u32(v);
                case OPT_IDLE_TIMEOUT -> idle = u32(v);
                default -> {
                    // Unknown options are skipped: newer clients may send more.
                }
            }
        }
        for (Integer size : new Integer[] {sndBuf, rcvBuf}) {
            if (size != null && size <= 0) {
                return null;
            }
        }
        String host = WispPacket.utf8(payload);
        if (host == null) {
            return null;
        }
        return new ParsedConnect(new WispPacket.Connect(type, port, host),
                new Options(noDelay, keepAlive, sndBuf, rcvBuf, dns, connectTimeout, idle));
    }

    private static Integer u32(ByteBuf v) {
        if (v.readableBytes() < 4) {
            return null;
        }
        long value = v.getUnsignedIntLE(0);
        return (int) Math.min(value, Integer.MAX_VALUE);
    }

    record ParsedConnect(WispPacket.Connect connect, Options options) {
    }
}

package io.isthmus.core.transport;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.util.Locale;
import java.util.concurrent.ThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O transport, chosen as Zuul does: io_uring only when asked for and available, else epoll when the
 * platform has it, else NIO. Every channel the gateway opens — accepted, dialed or datagram — comes from
 * the same transport so that both sides of a splice can share an event loop.
 */
public enum Transport {
    IO_URING(IoUringServerSocketChannel.class, IoUringSocketChannel.class, IoUringDatagramChannel.class),
    EPOLL(EpollServerSocketChannel.class, EpollSocketChannel.class, EpollDatagramChannel.class),
    NIO(NioServerSocketChannel.class, NioSocketChannel.class, NioDatagramChannel.class);

    private static final Logger LOG = LoggerFactory.getLogger(Transport.class);

    private final Class<? extends ServerChannel> serverChannel;
    private final Class<? extends Channel> socketChannel;
    private final Class<? extends DatagramChannel> datagramChannel;

    Transport(Class<? extends ServerChannel> serverChannel, Class<? extends Channel> socketChannel,
              Class<? extends DatagramChannel> datagramChannel) {
        this.serverChannel = serverChannel;
        this.socketChannel = socketChannel;
        this.datagramChannel = datagramChannel;
    }

    /** Picks the transport for a configured preference: {@code auto}, {@code io_uring}, {@code epoll} or {@code nio}. */
    public static Transport choose(String preference) {
        return switch (preference.toLowerCase(Locale.ROOT)) {
            case "io_uring", "io-uring" -> IoUring.isAvailable() ? IO_URING : choose("auto");
            case "epoll", "auto" -> Epoll.isAvailable() ? EPOLL : NIO;
            case "nio" -> NIO;
            default -> throw new IllegalArgumentException("unknown transport " + preference + " (auto, io_uring, epoll, nio)");
        };
    }

    /** {@link #choose}, and says in the log what was chosen and, when io_uring was asked for but is missing, why. */
    public static Transport select(String preference) {
        Transport chosen = choose(preference);
        String asked = preference.toLowerCase(Locale.ROOT);
        if ((asked.equals("io_uring") || asked.equals("io-uring")) && chosen != IO_URING) {
            LOG.warn("io_uring is not available ({}); using {}", IoUring.unavailabilityCause(), chosen.configName());
        } else if (asked.equals("epoll") && chosen != EPOLL) {
            LOG.warn("epoll is not available ({}); using {}", Epoll.unavailabilityCause(), chosen.configName());
        }
        LOG.info("transport {} (isthmus.transport = {})", chosen.configName(), preference);
        return chosen;
    }

    /** The name {@code isthmus.transport} uses for this transport. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public EventLoopGroup newGroup(int threads, ThreadFactory threadFactory) {
        return new MultiThreadIoEventLoopGroup(threads, threadFactory, ioHandlerFactory());
    }

    private IoHandlerFactory ioHandlerFactory() {
        return switch (this) {
            case IO_URING -> IoUringIoHandler.newFactory();
            case EPOLL -> KeepRegisteredEpollIoHandler.newFactory();
            case NIO -> NioIoHandler.newFactory();
        };
    }

    public Class<? extends ServerChannel> serverChannel() {
        return serverChannel;
    }

    public Class<? extends Channel> socketChannel() {
        return socketChannel;
    }

    public Class<? extends DatagramChannel> datagramChannel() {
        return datagramChannel;
    }
}

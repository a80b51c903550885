package io.isthmus.core.frontdoor;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The public port's listening sockets. With {@link #perLoop} every I/O event loop gets its own socket,
 * bound with {@code SO_REUSEPORT}, and accepts onto itself: the kernel spreads new connections over the
 * loops by their addresses, and no accepted connection is handed from one thread to another (nginx's and
 * HAProxy's {@code reuseport}). Otherwise one socket on one loop of the group accepts for all.
 */
public final class PublicListeners {

    private final List<Channel> sockets;

    private PublicListeners(List<Channel> sockets) {
        this.sockets = sockets;
    }

    /**
     * One socket per loop of {@code workers}, each bootstrap from {@code bootstrap} given that loop as both
     * its accepting and its child group. Port 0 becomes the port the first socket got, for all of them.
     * On failure, closes what was bound and throws with the cause.
     */
    public static PublicListeners perLoop(EventLoopGroup workers, Function<EventLoopGroup, ServerBootstrap> bootstrap,
                                          InetSocketAddress address) {
        refuseIfListenedOn(address);
        List<Channel> bound = new ArrayList<>();
        InetSocketAddress next = address;
        for (EventExecutor executor : workers) {
            IoEventLoop loop = (IoEventLoop) executor;
            ChannelFuture f = bootstrap.apply(loop).option(UnixChannelOption.SO_REUSEPORT, true)
                    .bind(next).awaitUninterruptibly();
            if (!f.isSuccess()) {
                bound.forEach(Channel::close);
                throw new BindFailed(f.cause());
            }
            bound.add(f.channel());
            next = (InetSocketAddress) f.channel().localAddress();
        }
        return new PublicListeners(List.copyOf(bound));
    }

    /**
     * SO_REUSEPORT lets a process of the same user join a port that another one already listens on with it:
     * a second gateway started by mistake would share the port with the first instead of failing. A plain
     * bind (no listen, so it never takes a connection) fails while anyone listens on the address.
     */
    private static void refuseIfListenedOn(InetSocketAddress address) {
        if (address.getPort() == 0) {
            return;
        }
        try (SocketChannel probe = SocketChannel.open()) {
            probe.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            probe.bind(address);
        } catch (IOException e) {
            throw new BindFailed(e);
        }
    }

    /** One socket, accepting on the bootstrap's group and handing connections to its child group. */
    public static PublicListeners single(ServerBootstrap bootstrap, InetSocketAddress address) {
        ChannelFuture f = bootstrap.bind(address).awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new BindFailed(f.cause());
        }
        return new PublicListeners(List.of(f.channel()));
    }

    /** Where the port listens (every socket listens on the same address). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) sockets.get(0).localAddress();
    }

    /** How many sockets accept: one, or one per I/O loop. */
    public int count() {
        return sockets.size();
    }

    /** Stops accepting: closes every socket and waits until they are closed. */
    public void close() {
        for (Channel socket : sockets) {
            socket.close().syncUninterruptibly();
        }
    }

    /** Binding failed; the cause says why (address in use, not permitted, ...). */
    public static final class BindFailed extends RuntimeException {
        BindFailed(Throwable cause) {
            super(cause.getMessage(), cause);
        }
    }
}

package io.isthmus.core.splice;

import io.netty.channel.Channel;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.AbstractEpollStreamChannel;

/**
 * Whether a pair may take the kernel path ({@link KernelLink}): both sides whole plain TCP channels (no TLS,
 * no framing) of the epoll transport, on one event loop whose I/O handler takes our own epoll handles, and
 * neither one ended before the splice opened.
 */
final class KernelSplice {

    /** Why a pair cannot take the kernel path, or null when it can. Call on {@code a}'s event loop. */
    static String refusal(Endpoint a, Endpoint b) {
        if (!(a instanceof ChannelEndpoint ca) || !(b instanceof ChannelEndpoint cb)) {
            return "not-a-channel";
        }
        Channel x = a.rawTcpChannel();
        Channel y = b.rawTcpChannel();
        if (x == null || y == null || x != ca.channel() || y != cb.channel()) {
            return "tls-or-framing";
        }
        if (!(x instanceof AbstractEpollStreamChannel) || !(y instanceof AbstractEpollStreamChannel)) {
            return "not-epoll";
        }
        if (x.eventLoop() != y.eventLoop()) {
            return "cross-loop";
        }
        if (!(x.eventLoop() instanceof IoEventLoop loop) || !loop.isCompatible(SocketWatch.class)) {
            return "unsupported";
        }
        if (ca.endedWhileHeld() || cb.endedWhileHeld()) {
            return "ended";
        }
        return null;
    }

    private KernelSplice() {
    }
}

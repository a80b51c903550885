package io.isthmus.core.splice;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;

/**
 * One socket of a kernel link, registered with the event loop's epoll in place of its Netty channel. A
 * socket is the source of one direction and the target of the other, so what it waits for is the union:
 * readable while its outgoing direction wants bytes, writable while its incoming direction has bytes that
 * did not fit, and always the read hang-up (which ends the link's kernel path). The set is never empty,
 * which also keeps clear of the Netty bug {@code KeepRegisteredEpollIoHandler} works around.
 */
final class SocketWatch implements EpollIoHandle {

    private final FileDescriptor socket;
    private final KernelLink link;
    private IoRegistration registration;
    private int interest;

    SocketWatch(FileDescriptor socket, KernelLink link) {
        this.socket = socket;
        this.link = link;
    }

    /** Registers with {@code loop}, on that loop (where registering completes at once). */
    void register(IoEventLoop loop) throws Exception {
        Future<IoRegistration> registered = loop.register(this);
        if (!registered.isDone()) {
            throw new IllegalStateException("registration did not complete on the event loop");
        }
        if (!registered.isSuccess()) {
            throw new Exception("epoll registration failed", registered.cause());
        }
        // The registration handed to handle() is the transport's inner one; this outer one keeps the loop's
        // count of registrations right when cancelled.
        registration = registered.getNow();
    }

    /** Sets what epoll reports for this socket; a no-op when unchanged. */
    void waitFor(boolean readable, boolean writable) {
        int ops = EpollIoOps.EPOLLRDHUP.value()
                | (readable ? EpollIoOps.EPOLLIN.value() : 0)
                | (writable ? EpollIoOps.EPOLLOUT.value() : 0);
        if (ops != interest && registration != null) {
            registration.submit(EpollIoOps.valueOf(ops));
            interest = ops;
        }
    }

    /** Removes the socket from epoll (the descriptor stays open for its channel). */
    void cancel() {
        IoRegistration r = registration;
        registration = null;
        if (r != null) {
            r.cancel();
        }
    }

    @Override
    public FileDescriptor fd() {
        return socket;
    }

    @Override
    public void handle(IoRegistration ignored, IoEvent event) {
        link.onEvent(this, ((EpollIoEvent) event).ops());
    }

    /** The event loop is shutting down and drops every registration. */
    @Override
    public void close() {
        link.loopClosing();
    }
}

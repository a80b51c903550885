package io.isthmus.core.transport;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.util.concurrent.ThreadAwareExecutor;

/**
 * Netty 4.2.18's epoll handler with one bug worked around. When a registered channel's interest set
 * becomes empty, the handler removes the fd from epoll ({@code EPOLL_CTL_DEL}) but keeps the registration
 * marked as added, so the next interest change does {@code EPOLL_CTL_MOD} and fails with ENOENT, which
 * Netty turns into a failed read or write and a closed channel. The empty set arises on a half-closed
 * socket (read hang-up seen) whose reads are paused by back-pressure and which has nothing queued: exactly
 * a splice draining one direction after the other ended. This decorator never submits the empty set; it
 * submits EPOLLERR instead, which epoll reports whatever the mask, so the fd stays registered and nothing
 * else changes. Remove it once a Netty release with a fixed registration state machine resolves here.
 */
final class KeepRegisteredEpollIoHandler implements IoHandler {

    private final IoHandler delegate;

    private KeepRegisteredEpollIoHandler(IoHandler delegate) {
        this.delegate = delegate;
    }

    static IoHandlerFactory newFactory() {
        IoHandlerFactory epoll = EpollIoHandler.newFactory();
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor executor) {
                return new KeepRegisteredEpollIoHandler(epoll.newHandler(executor));
            }

            @Override
            public boolean isChangingThreadSupported() {
                return epoll.isChangingThreadSupported();
            }
        };
    }

    @Override
    public void initialize() {
        delegate.initialize();
    }

    @Override
    public int run(IoHandlerContext context) {
        return delegate.run(context);
    }

    @Override
    public void prepareToDestroy() {
        delegate.prepareToDestroy();
    }

    @Override
    public void destroy() {
        delegate.destroy();
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        return new Registration(delegate.register(handle));
    }

    @Override
    public void wakeup() {
        delegate.wakeup();
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return delegate.isCompatible(handleType);
    }

    private static final class Registration implements IoRegistration {
        private final IoRegistration delegate;

        Registration(IoRegistration delegate) {
            this.delegate = delegate;
        }

        @Override
        public <T> T attachment() {
            return delegate.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            if (ops instanceof EpollIoOps epollOps && epollOps.value() == EpollIoOps.NONE.value()) {
                return delegate.submit(EpollIoOps.EPOLLERR);
            }
            return delegate.submit(ops);
        }

        @Override
        public boolean isValid() {
            return delegate.isValid();
        }

        @Override
        public boolean cancel() {
            return delegate.cancel();
        }
    }
}

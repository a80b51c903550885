package io.isthmus.core.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.util.UncheckedBooleanSupplier;
import java.util.function.IntConsumer;

/**
 * How much a gateway TCP channel reads at a time: Netty's adaptive guess, kept between a configured
 * minimum and maximum ({@code isthmus.splice.*-read-size}). One instance per channel, because it is also
 * where the splice engine meters its kernel path: Netty's epoll {@code spliceTo} reports every
 * {@code splice(2)} it makes into the socket's read handle ({@code lastBytesRead}) and nowhere else.
 * A read into a buffer announces itself first ({@code attemptedBytesRead}); a splice does not, which is
 * how the two are told apart.
 */
public final class ReadBufferAllocator extends AdaptiveRecvByteBufAllocator {

    private IntConsumer splicedBytes;

    public ReadBufferAllocator(int minimum, int initial, int maximum) {
        super(minimum, initial, maximum);
    }

    /**
     * Reports each positive byte count that the kernel splice path moves out of this channel, on the
     * channel's event loop; {@code null} stops reporting.
     */
    public void meterSplicedBytes(IntConsumer listener) {
        this.splicedBytes = listener;
    }

    @Override
    public Handle newHandle() {
        return new MeteredHandle((ExtendedHandle) super.newHandle());
    }

    private final class MeteredHandle implements ExtendedHandle {
        private final ExtendedHandle delegate;
        private boolean bufferReadPending;

        MeteredHandle(ExtendedHandle delegate) {
            this.delegate = delegate;
        }

        @Override
        public void attemptedBytesRead(int bytes) {
            bufferReadPending = true;
            delegate.attemptedBytesRead(bytes);
        }

        @Override
        public void lastBytesRead(int bytes) {
            delegate.lastBytesRead(bytes);
            if (bufferReadPending) {
                bufferReadPending = false;
                return;
            }
            IntConsumer listener = splicedBytes;
            if (bytes > 0 && listener != null) {
                listener.accept(bytes);
            }
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            return delegate.allocate(alloc);
        }

        @Override
        public int guess() {
            return delegate.guess();
        }

        @Override
        public void reset(ChannelConfig config) {
            delegate.reset(config);
        }

        @Override
        public void incMessagesRead(int numMessages) {
            delegate.incMessagesRead(numMessages);
        }

        @Override
        public int lastBytesRead() {
            return delegate.lastBytesRead();
        }

        @Override
        public int attemptedBytesRead() {
            return delegate.attemptedBytesRead();
        }

        @Override
        public boolean continueReading() {
            return delegate.continueReading();
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return delegate.continueReading(maybeMoreDataSupplier);
        }

        @Override
        public void readComplete() {
            delegate.readComplete();
        }
    }
}

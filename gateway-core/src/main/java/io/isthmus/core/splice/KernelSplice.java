package io.isthmus.core.splice;

import io.isthmus.core.transport.ReadBufferAllocator;
import io.netty.channel.Channel;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The zero-copy path of one direction of a splice: Netty's epoll {@code spliceTo} moves bytes socket to
 * pipe to socket inside the kernel. Requests are bounded chunks, two in flight, each re-armed when one is
 * written. The bytes are counted as each {@code splice(2)} returns (through the channel's
 * {@link ReadBufferAllocator}), so metrics and the idle clock stay true between chunks.
 *
 * <p>Bytes that Netty reads into buffers anyway (in the gap between two requests, or after the FIN) reach
 * the splice's ordinary sink and are written behind the spliced ones, in order: both kinds go through the
 * target channel's one outbound queue. At the FIN the pending requests are dropped, Netty's ordinary read
 * loop reads the socket to its end, and only then is the end of input passed on. When a chunk fails while
 * both channels are open (no pipe: the descriptor or per-user pipe limit), the direction falls back to
 * copying; every other failure is the connection's own and ends the splice as the copy path would.
 */
final class KernelSplice {

    private static final Logger LOG = LoggerFactory.getLogger(KernelSplice.class);

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
        if (!(x.config().getRecvByteBufAllocator() instanceof ReadBufferAllocator)
                || !(y.config().getRecvByteBufAllocator() instanceof ReadBufferAllocator)
                || !EpollSpliceQueue.available()) {
            return "unsupported";
        }
        if (ca.endedWhileHeld() || cb.endedWhileHeld()) {
            return "ended";
        }
        return null;
    }

    /** One direction: bytes read from {@code source} go to {@code target}. */
    static final class Direction {
        private final ChannelEndpoint source;
        private final AbstractEpollStreamChannel in;
        private final AbstractEpollStreamChannel out;
        private final int chunk;
        private final Consumer<String> fallback;
        private boolean splicing;

        /** {@code fallback} hears why this direction went back to copying: {@code pipe} or {@code error}. */
        Direction(ChannelEndpoint source, ChannelEndpoint target, int chunk, Consumer<String> fallback) {
            this.source = source;
            this.in = (AbstractEpollStreamChannel) source.channel();
            this.out = (AbstractEpollStreamChannel) target.channel();
            this.chunk = chunk;
            this.fallback = fallback;
        }

        /**
         * Meters the source and makes its end of input wait for the last read; call on the event loop
         * before the endpoint is opened (opening delivers held bytes as ordinary writes).
         */
        void prepare(IntConsumer splicedBytes) {
            ((ReadBufferAllocator) in.config().getRecvByteBufAllocator()).meterSplicedBytes(splicedBytes);
            source.reportEndAfterLastRead(this::finSeen);
        }

        /** Starts the kernel path; call on the event loop right after the endpoint opened. */
        void arm() {
            splicing = true;
            request();
            request();
        }

        /** While true, Netty's splice paces reading by itself, and the copy path's back-pressure stays out. */
        boolean splicing() {
            return splicing;
        }

        @SuppressWarnings("deprecation")
        private void request() {
            in.spliceTo(out, chunk).addListener(this::chunkDone);
        }

        private void chunkDone(io.netty.util.concurrent.Future<? super Void> f) {
            if (!splicing) {
                return;
            }
            if (f.isSuccess()) {
                request();
                return;
            }
            if (!in.isActive() || !out.isActive()) {
                // The connection's own end; the splice hears of it from the channels.
                return;
            }
            Throwable cause = f.cause();
            // Netty names the failing call first: "newPipe(..) failed with error(-24): Too many open files".
            String message = cause == null ? "" : String.valueOf(cause.getMessage());
            boolean noPipe = message.startsWith("newPipe") || message.startsWith("pipe");
            LOG.debug("zero-copy chunk failed, copying instead: {}", cause == null ? "?" : cause.toString());
            stop();
            fallback.accept(noPipe ? "pipe" : "error");
        }

        private void finSeen() {
            if (splicing) {
                stop();
            }
        }

        /** Hands the source back to Netty's ordinary reads; from a task, never inside its read loop. */
        private void stop() {
            splicing = false;
            in.eventLoop().execute(() -> EpollSpliceQueue.clear(in));
        }
    }

    private KernelSplice() {
    }
}

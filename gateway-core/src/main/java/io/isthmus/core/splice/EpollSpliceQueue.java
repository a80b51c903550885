package io.isthmus.core.splice;

import io.netty.channel.epoll.AbstractEpollStreamChannel;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Queue;

/**
 * The queue of {@code spliceTo} requests inside a Netty 4.2 epoll channel. Netty offers no way to stop a
 * pending request (a request ends only when its length is reached or it fails), yet at the peer's FIN the
 * kernel path must hand the rest of the socket to Netty's ordinary read loop: only that loop reads to the
 * end and says so ({@code ChannelInputShutdownReadComplete}); the splice loop sees the FIN early and then
 * spins on the readable, empty socket. Emptying the queue is that hand-over. If this Netty build has no
 * such field, the kernel path is never used.
 */
final class EpollSpliceQueue {

    private static final VarHandle QUEUE = find();

    private EpollSpliceQueue() {
    }

    private static VarHandle find() {
        try {
            return MethodHandles.privateLookupIn(AbstractEpollStreamChannel.class, MethodHandles.lookup())
                    .findVarHandle(AbstractEpollStreamChannel.class, "spliceQueue", Queue.class);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    static boolean available() {
        return QUEUE != null;
    }

    /**
     * Drops every pending request of {@code channel}; call on its event loop, never from inside Netty's read
     * loop (which removes the request it just finished and must still find it), i.e. from a task.
     */
    static void clear(AbstractEpollStreamChannel channel) {
        Queue<?> queue = (Queue<?>) QUEUE.getVolatile(channel);
        if (queue != null) {
            while (queue.poll() != null) {
                // The requests' promises belong to the splice, which stops re-arming before it clears.
            }
        }
    }
}

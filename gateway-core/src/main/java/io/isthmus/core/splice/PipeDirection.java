package io.isthmus.core.splice;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.epoll.Native;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One direction of a kernel link: bytes go from the source socket into a pipe and from the pipe into the
 * target socket with {@code splice(2)}, never through the JVM. In steady state that is two calls per
 * pipe-full. The pipe's content is tracked to the byte, so what is still in it when the link goes back to
 * copying can be read out and sent on in order.
 *
 * <p>Call on the link's event loop only.
 */
final class PipeDirection {

    private final FileDescriptor source;
    private final FileDescriptor target;
    private final int turnBudget;
    private final Pipes pipes;
    private final KernelLink.DirectionSink sink;
    /** Made on the first readable source (an idle link costs no pipe). */
    private Pipes.Pipe pipe;
    private int inPipe;
    private boolean waitsForInput = true;
    /** What the last {@link #pump} took from the source. */
    private int lastTaken;
    /** Read from other threads by tests and metrics; written once per pump. */
    private volatile long moved;

    /**
     * {@code turnBudget} bounds the bytes taken from the source per {@link #pump} (the loop's other channels
     * get their turn in between); {@code pipes} makes its pipe; {@code sink} hears of every byte taken from
     * the source and of every byte delivered to the target.
     */
    PipeDirection(FileDescriptor source, FileDescriptor target, int turnBudget, Pipes pipes,
                  KernelLink.DirectionSink sink) {
        this.source = source;
        this.target = target;
        this.turnBudget = turnBudget;
        this.pipes = pipes;
        this.sink = sink;
    }

    FileDescriptor source() {
        return source;
    }

    FileDescriptor target() {
        return target;
    }

    KernelLink.DirectionSink sink() {
        return sink;
    }

    /** After a pump: true while waiting for the source to be readable, false while waiting for the target's room. */
    boolean waitsForInput() {
        return waitsForInput;
    }

    /** Bytes the last pump took from the source (0: it only drained the pipe, or found nothing). */
    int lastTaken() {
        return lastTaken;
    }

    /** After a pump: the source had no more and everything taken was delivered (an interactive message's turn). */
    boolean drained() {
        return inPipe == 0 && waitsForInput;
    }

    /** Bytes this direction took from its source in the kernel. */
    long moved() {
        return moved;
    }

    /** A splice failed on one of the sockets (a reset, a broken pipe): that connection's own end. */
    static final class SocketFailed extends IOException {
        private final FileDescriptor socket;

        SocketFailed(FileDescriptor socket, IOException cause) {
            super(cause.getMessage(), cause);
            this.socket = socket;
        }

        FileDescriptor socket() {
            return socket;
        }
    }

    /**
     * Moves bytes until the source has none, the target has no room, or this turn's budget is spent. A
     * splice that returns 0 means "try again later" for both sockets; an end of input is learnt from epoll
     * (read hang-up), never from here. Returns false, moving nothing, when no pipe can be made.
     */
    boolean pump() throws SocketFailed {
        int taken = 0;
        lastTaken = 0;
        for (;;) {
            if (inPipe > 0) {
                int out = splice(pipe.readEnd(), target, inPipe, target);
                inPipe -= out;
                if (out > 0) {
                    sink.spliced(out);
                }
                if (inPipe > 0) {
                    // A short splice into a socket means its send buffer is full; epoll says when it is not.
                    waitsForInput = false;
                    return true;
                }
            }
            if (taken >= turnBudget) {
                // Level-triggered epoll calls again at once if the source still has bytes.
                waitsForInput = true;
                return true;
            }
            if (pipe == null) {
                pipe = pipes.open();
                if (pipe == null) {
                    return false;
                }
            }
            // The pipe's capacity (64 KiB, or pipe-size once it grew) bounds each call, whatever is asked for.
            int in = splice(source, pipe.writeEnd(), turnBudget - taken, source);
            if (in == 0) {
                waitsForInput = true;
                return true;
            }
            inPipe += in;
            pipe.filled(inPipe);
            taken += in;
            lastTaken = taken;
            moved += in;
            sink.took(in);
        }
    }

    /** One {@code splice(2)}: bytes moved, 0 when either end would block; a failure is blamed on {@code socket}. */
    private static int splice(FileDescriptor from, FileDescriptor to, int length, FileDescriptor socket)
            throws SocketFailed {
        try {
            return Native.splice(from.intValue(), -1, to.intValue(), -1, length);
        } catch (IOException e) {
            throw new SocketFailed(socket, e);
        }
    }

    /**
     * Reads what is still in the pipe into a buffer (null when empty) and closes the pipe. These bytes are
     * counted once the copy path delivers them, and they precede anything the source delivers from now on.
     */
    ByteBuf takeLeftover(ByteBufAllocator alloc) throws IOException {
        if (pipe == null) {
            return null;
        }
        try {
            if (inPipe == 0) {
                return null;
            }
            ByteBuf leftover = alloc.directBuffer(inPipe);
            try {
                while (inPipe > 0) {
                    ByteBuffer into = leftover.internalNioBuffer(leftover.writerIndex(), inPipe);
                    int n = pipe.readEnd().read(into, into.position(), into.limit());
                    if (n <= 0) {
                        throw new IOException("the pipe holds " + inPipe + " bytes fewer than were spliced into it");
                    }
                    leftover.writerIndex(leftover.writerIndex() + n);
                    inPipe -= n;
                }
                return leftover;
            } catch (IOException | RuntimeException e) {
                leftover.release();
                throw e;
            }
        } finally {
            closePipe();
        }
    }

    /** Closes the pipe, dropping what it holds (the link is being torn down, or its bytes were read out). */
    void closePipe() {
        if (pipe == null) {
            return;
        }
        pipe.close();
        pipe = null;
        inPipe = 0;
    }
}

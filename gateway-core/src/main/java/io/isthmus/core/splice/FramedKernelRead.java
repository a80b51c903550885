package io.isthmus.core.splice;

import io.netty.channel.Channel;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.Native;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.concurrent.Future;
import java.io.IOException;

/**
 * The kernel path of one direction whose target frames its data: bytes go from a TCP socket into a pipe
 * with {@code splice(2)}, and out of the pipe into the target's connection as the payloads of whole frames
 * ({@link FramedSpliceTarget}, {@link PipeRegion}), never through the JVM. It serves a Wisp stream's
 * download: the frame header is the only thing written from user space.
 *
 * <p>The source channel stays with Netty (the other direction still writes to it, and Netty still sees its
 * close); only its reading moves here. A duplicate descriptor of the socket sits in the event loop's epoll
 * for input, and Netty's reading stays paused. Every byte spliced into the pipe is framed at once and queued
 * on the target's connection behind whatever was queued before, so the order on the wire is the order the
 * bytes were read, whichever path read them. The pipe bounds what is in flight: reading pauses while it is
 * full and resumes as the frames go out.
 *
 * <p>At an end of input, an error, or a target that cannot take a spliced frame, the direction goes back to
 * Netty's reading for good; Netty then sees the end as it always does, and an error the splice took is handed
 * to the channel's pipeline, as Netty reports a failed read. Everything runs on the one event loop of both
 * channels.
 */
final class FramedKernelRead implements EpollIoHandle, PipeRegion.Owner {

    private enum State { ACTIVE, ENDED }

    private final ChannelEndpoint source;
    private final FramedSpliceTarget target;
    private final FileDescriptor frameSocket;
    private final IoEventLoop loop;
    private final Pipes pipes;
    private final int turnBudget;
    private final KernelLink.DirectionSink sink;
    private final Runnable handedBack;
    private State state = State.ACTIVE;
    private FileDescriptor watched;
    private IoRegistration registration;
    private Pipes.Pipe pipe;
    private boolean reading;
    private int inPipe;
    private int regions;
    private volatile long moved;

    private FramedKernelRead(ChannelEndpoint source, FramedSpliceTarget target, Channel frameChannel, Pipes pipes,
                             int turnBudget, KernelLink.DirectionSink sink, Runnable handedBack) {
        this.source = source;
        this.target = target;
        this.frameSocket = ((UnixChannel) frameChannel).fd();
        this.loop = (IoEventLoop) source.channel().eventLoop();
        this.pipes = pipes;
        this.turnBudget = turnBudget;
        this.sink = sink;
        this.handedBack = handedBack;
    }

    /**
     * Whether bytes from {@code from} to {@code to} can take this path: a plain TCP epoll channel into a
     * target that splices its frames on a plain epoll connection of the same event loop. On that loop.
     */
    static boolean eligible(Endpoint from, Endpoint to) {
        if (!(from instanceof ChannelEndpoint ce) || !(to instanceof FramedSpliceTarget t)) {
            return false;
        }
        Channel source = ce.channel();
        if (from.rawTcpChannel() != source || !(source instanceof AbstractEpollStreamChannel) || ce.endedWhileHeld()) {
            return false;
        }
        Channel frames = t.splicedFrameChannel();
        return frames instanceof AbstractEpollStreamChannel && frames.eventLoop() == source.eventLoop()
                && source.eventLoop() instanceof IoEventLoop l && l.isCompatible(FramedKernelRead.class)
                && FcntlCalls.unavailable() == null;
    }

    /**
     * Starts reading {@code source} through a pipe, its Netty reading being paused already; null (nothing
     * changed) when no descriptor, pipe or registration could be had. On the event loop, after
     * {@link #eligible}.
     */
    static FramedKernelRead start(ChannelEndpoint source, FramedSpliceTarget target, Pipes pipes, int turnBudget,
                                  KernelLink.DirectionSink sink, Runnable handedBack) {
        FramedKernelRead read = new FramedKernelRead(source, target, target.splicedFrameChannel(), pipes, turnBudget,
                sink, handedBack);
        return read.open() ? read : null;
    }

    private boolean open() {
        pipe = pipes.open();
        if (pipe == null) {
            return false;
        }
        try {
            watched = FcntlCalls.duplicate(((UnixChannel) source.channel()).fd());
            Future<IoRegistration> registered = loop.register(this);
            if (!registered.isDone() || !registered.isSuccess()) {
                throw new IOException("epoll registration failed", registered.cause());
            }
            registration = registered.getNow();
        } catch (IOException e) {
            state = State.ENDED;
            closeWatched();
            closePipeIfUnused();
            return false;
        }
        // The socket must not outlive its channel because of our duplicate.
        source.channel().closeFuture().addListener(f -> stop());
        waitForInput(true);
        return true;
    }

    /** Whether this path (not the copy path's water marks) decides when the source is read. */
    boolean active() {
        return state == State.ACTIVE;
    }

    /** Bytes this path took from the source. */
    long moved() {
        return moved;
    }

    @Override
    public FileDescriptor fd() {
        return watched;
    }

    @Override
    public void handle(IoRegistration ignored, IoEvent event) {
        if (state == State.ACTIVE) {
            pump();
        }
    }

    private void pump() {
        int taken = 0;
        while (state == State.ACTIVE && taken < turnBudget) {
            int room = pipe.capacity() - inPipe;
            if (room <= 0) {
                waitForInput(false);
                return;
            }
            if (!target.takesSplicedFrames()) {
                end();
                return;
            }
            int asked = Math.min(room, turnBudget - taken);
            int n;
            try {
                n = Native.splice(watched.intValue(), -1, pipe.writeEnd().intValue(), -1, asked);
            } catch (IOException e) {
                // A reset or an error. splice(2) took the socket's pending error, so Netty's next read would
                // see a mere end of input: hand it over as Netty reports a failed read, which closes the
                // channel with the cause (a "reset", as on the copy path).
                end();
                source.channel().pipeline().fireExceptionCaught(e);
                return;
            }
            if (n == 0) {
                if (inPipe > 0) {
                    // The pipe has no free slot (small segments) or the input ended; the frames' progress decides.
                    waitForInput(false);
                } else {
                    // Readable but nothing came: the end of input (or a spurious wake-up), Netty's to judge.
                    end();
                }
                return;
            }
            inPipe += n;
            pipe.filled(inPipe);
            taken += n;
            moved += n;
            sink.took(n);
            frame(n);
            if (n < asked) {
                return; // the socket is drained; level-triggered epoll says when more comes
            }
        }
    }

    private void frame(int n) {
        int max = target.maxSplicedPayload();
        while (n > 0) {
            int length = Math.min(n, max);
            regions++;
            target.writeSplicedFrame(new PipeRegion(pipe.readEnd(), frameSocket, length, this), length);
            n -= length;
        }
        target.flush();
    }

    @Override
    public void sent(int n) {
        inPipe -= n;
        sink.spliced(n);
        if (state == State.ACTIVE && !reading && inPipe <= pipe.capacity() / 2) {
            waitForInput(true);
        }
    }

    @Override
    public void released(PipeRegion region) {
        regions--;
        int unsent = region.unsent();
        if (unsent > 0) {
            // Its connection failed before it went out: what follows in the pipe no longer lines up.
            inPipe -= unsent;
            stop();
        }
        closePipeIfUnused();
    }

    private void waitForInput(boolean on) {
        reading = on;
        if (registration != null) {
            // Never the empty set (see KeepRegisteredEpollIoHandler); EPOLLERR is reported whatever the mask.
            registration.submit(on ? EpollIoOps.EPOLLIN : EpollIoOps.EPOLLERR);
        }
    }

    /** Back to Netty's reading for good (end of input, error, a target that takes no spliced frame). */
    private void end() {
        if (state != State.ACTIVE) {
            return;
        }
        stop();
        handedBack.run();
    }

    /** Leaves epoll and closes the duplicate descriptor; frames already queued still go out. On the event loop. */
    void stop() {
        if (!loop.inEventLoop()) {
            loop.execute(this::stop);
            return;
        }
        if (state == State.ENDED) {
            return;
        }
        state = State.ENDED;
        IoRegistration r = registration;
        registration = null;
        if (r != null) {
            r.cancel();
        }
        closeWatched();
        closePipeIfUnused();
    }

    private void closeWatched() {
        if (watched != null) {
            try {
                watched.close();
            } catch (IOException ignored) {
                // Closing our own duplicate fails only if it is closed already.
            }
            watched = null;
        }
    }

    private void closePipeIfUnused() {
        if (state == State.ENDED && regions == 0 && pipe != null) {
            pipe.close();
            pipe = null;
        }
    }

    /** The event loop is shutting down and drops every registration. */
    @Override
    public void close() {
        stop();
    }
}

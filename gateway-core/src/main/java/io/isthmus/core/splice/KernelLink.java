package io.isthmus.core.splice;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.UnixChannel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel path of one splice: both sockets leave Netty and are served by our own splice loop
 * ({@link PipeDirection}, {@link SocketWatch}) until anything but steady streaming happens, then go back
 * to Netty's ordinary copy path for good.
 *
 * <p>Set-up (both channels are on one epoll event loop, opened with reading paused): wait until both have
 * flushed what was written to them (the 101s, held early bytes), deregister both channels from Netty (the
 * sockets stay open), and register one {@link SocketWatch} per socket. Pipes are made when a direction first
 * has bytes.
 *
 * <p>Hand-back, at a peer's FIN, a hang-up or error, a failed splice, no pipe, or a close of either channel
 * (abort, idle, drain): the watches leave epoll, what each pipe still holds is read out, both channels are
 * registered again, the pipe's bytes are written to their target ahead of anything Netty reads next, and
 * reading resumes. From then on the copy path sees the end of input, the reset or the close as it always
 * does. A Netty channel closed while deregistered skips its pipeline's teardown, so the endpoints route
 * every close through {@link #handBackThen} first.
 *
 * <p>Everything here runs on the one event loop of both channels.
 */
final class KernelLink {

    /** What the link tells the splice about one direction; the splice's sides implement it. */
    interface DirectionSink {
        /** {@code n} bytes left the source for the pipe: reset the idle clock. */
        void took(int n);

        /** {@code n} bytes left the pipe for the target socket: count them as delivered. */
        void spliced(int n);

        /**
         * The direction is Netty's again: write {@code leftover} (may be null; not yet counted) to the target
         * and resume reading the source as far as the target's queue allows.
         */
        void handedBack(ByteBuf leftover);
    }

    private enum State { PREPARING, DEREGISTERING, SPLICING, COPYING }

    private static final Logger LOG = LoggerFactory.getLogger(KernelLink.class);
    /** How long the set-up may wait for both sides to flush what was written before the kernel path. */
    static final long SETUP_DEADLINE_MILLIS = 1000;
    private static final int READY = EpollIoOps.EPOLLIN.value() | EpollIoOps.EPOLLOUT.value();
    /** Anything but readiness and the read hang-up: an error or a hang-up (Netty names no constant for it). */
    private static final int FAILED = ~(READY | EpollIoOps.EPOLLRDHUP.value());

    private final ChannelEndpoint a;
    private final ChannelEndpoint b;
    private final IoEventLoop loop;
    private final PipeDirection ab;
    private final PipeDirection ba;
    private final Consumer<String> fallback;
    private final Runnable abort;
    /** zero-copy = auto: when to go back to copying (null: never, zero-copy = true). */
    private final AutoRule auto;
    /** Told when the link goes back to copying because it turned interactive. */
    private final Runnable wentInteractive;
    private final List<Runnable> afterHandBack = new ArrayList<>(1);
    private volatile State state = State.PREPARING;
    private SocketWatch watchA;
    private SocketWatch watchB;
    private ScheduledFuture<?> setupDeadline;
    private int pendingSteps;
    private boolean stepFailed;
    /** Small, fully delivered turns in a row (zero-copy = auto). */
    private int interactiveRun;
    /** Why the link went back to copying allows a later link on the same pair (see {@link #mayReturn}). */
    private boolean returnable;

    /**
     * {@code up} hears of bytes from {@code a} to {@code b}, {@code down} of the other way; {@code fallback}
     * counts why a link that asked for the kernel path copies, and {@code abort} closes the whole splice.
     */
    KernelLink(ChannelEndpoint a, ChannelEndpoint b, DirectionSink up, DirectionSink down, int turnBudget,
               Pipes pipes, Consumer<String> fallback, Runnable abort) {
        this(a, b, up, down, turnBudget, pipes, fallback, abort, null, () -> { });
    }

    /**
     * With {@code auto} (zero-copy = auto), the link also goes back to copying when the pair turns
     * interactive, and then tells {@code wentInteractive}.
     */
    KernelLink(ChannelEndpoint a, ChannelEndpoint b, DirectionSink up, DirectionSink down, int turnBudget,
               Pipes pipes, Consumer<String> fallback, Runnable abort, AutoRule auto, Runnable wentInteractive) {
        this.a = a;
        this.b = b;
        this.loop = (IoEventLoop) a.channel().eventLoop();
        this.ab = new PipeDirection(socket(a), socket(b), turnBudget, pipes, up);
        this.ba = new PipeDirection(socket(b), socket(a), turnBudget, pipes, down);
        this.fallback = fallback;
        this.abort = abort;
        this.auto = auto;
        this.wentInteractive = wentInteractive;
    }

    private static FileDescriptor socket(ChannelEndpoint e) {
        return ((UnixChannel) e.channel()).fd();
    }

    /** While true the kernel path (not the copy path's water marks) decides when each source is read. */
    boolean pacesReading() {
        return state != State.COPYING;
    }

    /** Whether the sockets are served by the splice loop right now (any thread). */
    boolean splicing() {
        return state == State.SPLICING;
    }

    /** Bytes the splice loop has taken from both sockets (any thread; exact on the event loop). */
    long kernelBytes() {
        return ab.moved() + ba.moved();
    }

    /**
     * Once back on the copy path: whether the pair may take the kernel path again later (it went back
     * because it turned interactive, or its set-up gave way without an error); not after an end of
     * input, an error, a failed splice or a close.
     */
    boolean mayReturn() {
        return state == State.COPYING && returnable;
    }

    /** Starts the set-up; call on the event loop once both endpoints are open with reading paused. */
    void start() {
        a.guardClose(this::handBackThen);
        b.guardClose(this::handBackThen);
        setupDeadline = loop.schedule(this::setupTooSlow, SETUP_DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
        afterBoth(a.channel().writeAndFlush(Unpooled.EMPTY_BUFFER), b.channel().writeAndFlush(Unpooled.EMPTY_BUFFER),
                this::flushed);
    }

    private void afterBoth(ChannelFuture first, ChannelFuture second, Runnable then) {
        pendingSteps = 2;
        stepFailed = false;
        for (ChannelFuture step : new ChannelFuture[] {first, second}) {
            step.addListener(f -> {
                stepFailed |= !f.isSuccess();
                if (--pendingSteps == 0) {
                    then.run();
                }
            });
        }
    }

    /**
     * Both directions stay paused until both flushes are done. A peer that reads nothing before it has
     * written everything would hold the other direction still, which the copy path never does: such a
     * pair copies instead.
     */
    private void setupTooSlow() {
        if (state == State.PREPARING) {
            fallback.accept("setup-timeout");
            returnable = true;
            handBack();
        }
    }

    private void flushed() {
        if (state != State.PREPARING) {
            return;
        }
        setupDeadline.cancel(false);
        if (stepFailed || !bothStreaming()) {
            handBack();
            return;
        }
        state = State.DEREGISTERING;
        afterBoth(a.channel().deregister(), b.channel().deregister(), this::deregistered);
    }

    private void deregistered() {
        // A close waiting in afterHandBack, an end of input or bytes queued while deregistering (Netty reads a
        // socket once more on a read hang-up even with reading paused) keep the link on the copy path.
        if (stepFailed || !afterHandBack.isEmpty() || !bothStreaming()
                || !nothingQueued(a.channel()) || !nothingQueued(b.channel())) {
            if (stepFailed) {
                fallback.accept("error");
            } else {
                // Bytes read while deregistering: this time the pair copies, and may try again later.
                returnable = true;
            }
            state = State.COPYING;
            reRegisterAndResume(null, null);
            return;
        }
        try {
            watchA = new SocketWatch(socket(a), this);
            watchB = new SocketWatch(socket(b), this);
            watchA.register(loop);
            watchB.register(loop);
            state = State.SPLICING;
            watchA.waitFor(true, false);
            watchB.waitFor(true, false);
        } catch (Exception e) {
            LOG.debug("kernel path set-up failed, copying instead", e);
            fallback.accept("error");
            // No pipe exists yet, so nothing can be in one: leave epoll and give both channels back.
            if (watchA != null) {
                watchA.cancel();
            }
            if (watchB != null) {
                watchB.cancel();
            }
            state = State.COPYING;
            reRegisterAndResume(null, null);
        }
    }

    private boolean bothStreaming() {
        return a.channel().isActive() && b.channel().isActive() && !a.endedWhileHeld() && !b.endedWhileHeld();
    }

    private static boolean nothingQueued(Channel channel) {
        ChannelOutboundBuffer queue = channel.unsafe().outboundBuffer();
        return queue != null && queue.totalPendingWriteBytes() == 0;
    }

    /** An epoll event for one of the sockets. */
    void onEvent(SocketWatch watch, EpollIoOps ops) {
        if (state != State.SPLICING) {
            return;
        }
        if ((ops.value() & FAILED) != 0) {
            // Left untouched, so that Netty's own read meets the error and reports it as always.
            handBack();
            return;
        }
        PipeDirection outgoing = watch == watchA ? ab : ba;
        PipeDirection incoming = watch == watchA ? ba : ab;
        try {
            boolean interactive = false;
            if (ops.contains(EpollIoOps.EPOLLOUT)) {
                if (!pump(incoming)) {
                    return;
                }
                interactive = judgeTurn(incoming);
            }
            if (ops.contains(EpollIoOps.EPOLLIN)) {
                if (!pump(outgoing)) {
                    return;
                }
                interactive |= judgeTurn(outgoing);
            }
            if (ops.contains(EpollIoOps.EPOLLRDHUP)) {
                // The peer's FIN: the copy path reads what is left and passes the end on.
                handBack();
                return;
            }
            if (interactive) {
                // Nothing is in either pipe that was not asked for: the copy path takes over from here.
                returnable = true;
                handBack();
                wentInteractive.run();
                return;
            }
            watchA.waitFor(ab.waitsForInput(), !ba.waitsForInput());
            watchB.waitFor(ba.waitsForInput(), !ab.waitsForInput());
        } catch (PipeDirection.SocketFailed e) {
            // The splice took the socket's error, so Netty would never see it: hand it over as Netty reports
            // a failed read or write, which closes that channel with the cause ("reset").
            handBack();
            Channel failed = e.socket().equals(socket(a)) ? a.channel() : b.channel();
            failed.pipeline().fireExceptionCaught(e.getCause());
        } catch (RuntimeException e) {
            LOG.debug("kernel path failed, copying instead", e);
            fallback.accept("error");
            handBack();
        }
    }

    /**
     * zero-copy = auto: whether this turn completes a run of interactive ones. A turn that took less than
     * a bulk read, found the source empty and delivered everything counts; a bulk turn ends the run; a turn
     * that took nothing (only drained the pipe) or left bytes in the pipe changes nothing.
     */
    private boolean judgeTurn(PipeDirection direction) {
        if (auto == null || auto.interactiveTurns() == 0) {
            return false;
        }
        int taken = direction.lastTaken();
        if (taken >= auto.bulkReadSize()) {
            interactiveRun = 0;
        } else if (taken > 0 && direction.drained()) {
            interactiveRun++;
        }
        return interactiveRun >= auto.interactiveTurns();
    }

    private boolean pump(PipeDirection direction) throws PipeDirection.SocketFailed {
        if (direction.pump()) {
            return true;
        }
        fallback.accept("pipe");
        handBack();
        return false;
    }

    /**
     * Runs {@code action} once both channels are Netty's again: at once on the copy path, right after the
     * hand-back while splicing or preparing, or once the deregistration in progress is over.
     */
    void handBackThen(Runnable action) {
        if (state == State.COPYING) {
            action.run();
            return;
        }
        afterHandBack.add(action);
        if (state != State.DEREGISTERING) {
            handBack();
        }
    }

    /** The event loop drops its registrations (shutdown): give the channels back so they close properly. */
    void loopClosing() {
        handBack();
        abort.run();
    }

    private void handBack() {
        State was = state;
        if (was == State.COPYING || was == State.DEREGISTERING) {
            // Deregistration ends in deregistered(), which sees the pending actions and goes back itself.
            return;
        }
        state = State.COPYING;
        if (was == State.PREPARING) {
            reRegisterAndResume(null, null);
            return;
        }
        watchA.cancel();
        watchB.cancel();
        ByteBuf towardB = null;
        ByteBuf towardA = null;
        boolean lost = false;
        try {
            towardB = ab.takeLeftover(b.channel().alloc());
            towardA = ba.takeLeftover(a.channel().alloc());
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not read a splice pipe back; closing the splice", e);
            lost = true;
        } finally {
            ab.closePipe();
            ba.closePipe();
        }
        reRegisterAndResume(towardB, towardA);
        if (lost) {
            abort.run();
        }
    }

    private void reRegisterAndResume(ByteBuf towardB, ByteBuf towardA) {
        reRegister(a.channel());
        reRegister(b.channel());
        ab.sink().handedBack(towardB);
        ba.sink().handedBack(towardA);
        List<Runnable> actions = List.copyOf(afterHandBack);
        afterHandBack.clear();
        actions.forEach(Runnable::run);
    }

    private void reRegister(Channel channel) {
        if (channel.isRegistered() || !channel.isOpen()) {
            return;
        }
        // On the loop this completes at once: Netty reads again only after the pipe's bytes are queued.
        ((EventLoop) loop).register(channel).addListener(f -> {
            if (!f.isSuccess()) {
                LOG.debug("could not register a channel again after splicing", f.cause());
                abort.run();
            }
        });
    }
}

package io.isthmus.core.mux;

import io.isthmus.core.http.WebSocketFrameHeader;
import io.isthmus.core.splice.Endpoint;
import io.isthmus.core.splice.EndpointSink;
import io.isthmus.core.splice.FramedSpliceTarget;
import io.isthmus.core.transport.WaitingSlices;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.FileRegion;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One stream of a {@link MuxSession}, as a splice {@link Endpoint}. Everything protocol-neutral lives here:
 * the state (opening, open, closed; each direction's end), the held queue of inbound data while nobody reads
 * it, the queue of outbound data waiting for send credit, the receive {@link CreditWindow}, writability
 * (credit-bound queue below its mark <em>and</em> the parent writable), close-once, and the reason a close
 * carries. Subclasses only speak the protocol: {@link #sendData}, {@link #grantCredit}, {@link #sendEnd},
 * {@link #sendClose}; their session feeds peer events in through {@code peer*} methods.
 *
 * <p>Back-pressure: {@code setReading(false)} holds inbound data and withholds credit; credit for data goes
 * back once it has been delivered to the splice (which stops reading us while its other side is full).
 *
 * <p>Endpoint methods may be called from any thread and hop to the session's event loop; {@code peer*}
 * methods and the hooks run on it.
 */
public abstract class MuxStream implements FramedSpliceTarget {

    /** Where a stream is in its life. */
    public enum State {
        /** Opened by us; the peer has not accepted yet. */
        OPENING,
        OPEN,
        CLOSED
    }

    /** Outbound bytes queued beyond this make the stream unwritable; below half of it writable again. */
    public static final int DEFAULT_QUEUE_HIGH_WATER = 256 * 1024;
    /** How long an orderly close may wait for send credit to flush what is queued before it aborts. */
    public static final Duration CLOSE_LINGER = Duration.ofSeconds(30);

    protected final MuxSession session;
    private final int id;
    private final CreditWindow receive;
    private final CreditWindow.Unit sendUnit;
    private final Promise<MuxStream> opened;
    private final ArrayDeque<ByteBuf> held = new ArrayDeque<>(2);
    /** The read buffers that held data keeps alive (held data is mostly slices of the WebSocket's reads). */
    private final WaitingSlices heldSlices = new WaitingSlices();
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>(2);
    private State state;
    private long sendCredit;
    private long heldBytes;
    private long pendingBytes;
    private int queueHighWater = DEFAULT_QUEUE_HIGH_WATER;
    private EndpointSink sink;
    private boolean reading = true;
    private boolean inputEnded;
    private boolean inputEndDelivered;
    private boolean endRequested;
    private boolean outputEnded;
    private boolean closeRequested;
    private volatile boolean writable = true;
    private MuxCloseReason outcome;
    private MuxCloseReason closedWith;
    private ScheduledFuture<?> timer;
    /** Set by the session while this stream waits in its list of grants due. */
    boolean grantQueued;
    /** Set by the session while this stream waits for the end of the read that delivered its data. */
    boolean readCompleteQueued;

    /**
     * @param receive  the credit the peer gets for sending to us
     * @param sendUnit what the peer's credit for us counts
     * @param opening  true when we opened the stream and wait for the peer to accept ({@link #peerAccepted});
     *                 false for a stream the peer opened, which starts open with {@code sendCredit}
     */
    protected MuxStream(MuxSession session, int id, CreditWindow receive, CreditWindow.Unit sendUnit,
                        boolean opening, long sendCredit) {
        this.session = session;
        this.id = id;
        this.receive = receive;
        this.sendUnit = sendUnit;
        this.state = opening ? State.OPENING : State.OPEN;
        this.sendCredit = opening ? 0 : sendCredit;
        this.opened = session.eventLoop().newPromise();
        if (!opening) {
            opened.setSuccess(this);
        }
    }

    // ---- protocol hooks (on the event loop) ----

    /** Sends one data frame; {@code payload} costs at most the current credit and is at most {@link #maxDataPayload}. */
    protected abstract void sendData(ByteBuf payload);

    /** Gives the peer {@code units} more credit (wsmux ACK, Wisp CONTINUE). */
    protected abstract void grantCredit(long units);

    /**
     * Tells the peer we send no more but still read (wsmux FIN): a half-close, asked for by the splice's
     * {@code shutdownOutput}. Called at most once, after every queued byte was sent.
     */
    protected abstract void sendEnd();

    /**
     * Tells the peer the stream is over, with a reason (Wisp CLOSE; wsmux sends its FIN unless
     * {@link #sendEnd} already did). Called at most once, after queued bytes were sent (orderly close) or
     * dropped (abort, overrun, timeout); never after the peer closed the stream or the session ended.
     */
    protected abstract void sendClose(MuxCloseReason reason);

    /** The largest payload of one data frame. */
    protected int maxDataPayload() {
        return 64 * 1024;
    }

    /**
     * The bytes of a data frame that precede its payload inside the WebSocket message, when this protocol
     * lets a data payload be spliced in the kernel ({@link FramedSpliceTarget}): no flow control on what we
     * send, nothing that must see the bytes. 0 (the default) means it does not.
     */
    protected int splicedDataHeaderLength() {
        return 0;
    }

    /** Writes the {@link #splicedDataHeaderLength} bytes that precede a spliced payload. */
    protected void writeSplicedDataHeader(ByteBuf out) {
        throw new UnsupportedOperationException(kind() + " does not splice its data");
    }

    /** The stream overran its credit (count it); the stream is then closed with {@link MuxCloseReason#OVERRUN}. */
    protected void onOverrun() {
    }

    /** The stream has just closed with {@code reason} and left its session (count it); on the event loop, once. */
    protected void onFinished(MuxCloseReason reason) {
    }

    // ---- accessors ----

    public int id() {
        return id;
    }

    public State state() {
        return state;
    }

    public MuxSession session() {
        return session;
    }

    public CreditWindow receiveWindow() {
        return receive;
    }

    public long sendCredit() {
        return sendCredit;
    }

    /** Inbound bytes held (not yet delivered). */
    public long heldBytes() {
        return heldBytes;
    }

    /** Outbound bytes queued for lack of credit or before the stream opened. */
    public long pendingBytes() {
        return pendingBytes;
    }

    /** The reason the stream closed with, or null while it lives. */
    public MuxCloseReason closedWith() {
        return closedWith;
    }

    /** Whether the peer has ended its output. */
    public boolean inputEnded() {
        return inputEnded;
    }

    /** Whether we have sent our end. */
    public boolean outputEnded() {
        return outputEnded;
    }

    /** Succeeds when the peer accepted the stream; fails when it closed or did not accept in time. */
    public Future<MuxStream> opened() {
        return opened;
    }

    public void queueHighWater(int bytes) {
        this.queueHighWater = bytes;
    }

    @Override
    public EventLoop eventLoop() {
        return session.eventLoop();
    }

    /** Marks the stream as waiting for the peer's accept, for at most {@code timeout} (then closed with TIMEOUT). */
    public void awaitAccept(Duration timeout) {
        timer = eventLoop().schedule(() -> {
            if (state == State.OPENING) {
                closeNow(MuxCloseReason.TIMEOUT, true);
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    // ---- peer events (on the event loop) ----

    /** The peer accepted the stream we opened and gave us {@code initialCredit}. */
    public void peerAccepted(long initialCredit) {
        if (state != State.OPENING) {
            return;
        }
        cancelTimer();
        state = State.OPEN;
        sendCredit = initialCredit;
        opened.trySuccess(this);
        drainPending();
    }

    /** Data from the peer; takes ownership. A stream past its end or closed drops it. */
    public void peerData(ByteBuf data) {
        if (state == State.CLOSED || inputEnded) {
            data.release();
            return;
        }
        int n = data.readableBytes();
        if (!receive.received(n)) {
            data.release();
            onOverrun();
            closeNow(MuxCloseReason.OVERRUN, true);
            return;
        }
        if (n == 0) {
            // Nothing to deliver, but a packet-counted window must get its unit back (an empty Wisp DATA).
            data.release();
            receive.consumed(0);
            session.creditDue(this);
            return;
        }
        if (sink != null && reading && held.isEmpty()) {
            deliverNow(data);
        } else {
            held.add(heldSlices.admit(data));
            heldBytes += n;
        }
    }

    /** The peer granted {@code units} more send credit. */
    public void peerCredit(long units) {
        if (state == State.CLOSED || units <= 0) {
            return;
        }
        sendCredit = sendCredit > Long.MAX_VALUE - units ? Long.MAX_VALUE : sendCredit + units;
        drainPending();
        session.flush();
    }

    /** The peer ended its output (a FIN); delivered once held data is. */
    public void peerEnded() {
        if (state == State.CLOSED || inputEnded) {
            return;
        }
        inputEnded = true;
        deliverHeld();
    }

    /** The peer (or the session's end) closed the stream: queued data is dropped, the splice hears of it. */
    public void peerClosed(MuxCloseReason reason) {
        if (state == State.CLOSED) {
            return;
        }
        // Data the peer sent before closing is still delivered when a reader is there.
        if (sink != null && reading) {
            deliverHeld();
        }
        finish(reason);
    }

    void parentWritabilityChanged() {
        updateWritability();
    }

    // ---- Endpoint ----

    @Override
    public void open(EndpointSink s) {
        session.onLoop(() -> {
            this.sink = s;
            if (state == State.CLOSED) {
                releaseHeld();
                s.onClosed(cause(closedWith));
                return;
            }
            deliverHeld();
        });
    }

    @Override
    public void write(ByteBuf data) {
        if (eventLoop().inEventLoop()) {
            queue(data);
        } else {
            eventLoop().execute(() -> queue(data));
        }
    }

    private void queue(ByteBuf data) {
        if (state == State.CLOSED || endRequested || closeRequested || !data.isReadable()) {
            data.release();
            return;
        }
        pending.add(data);
        pendingBytes += data.readableBytes();
        updateWritability();
    }

    @Override
    public void flush() {
        session.onLoop(() -> {
            drainPending();
            session.flush();
        });
    }

    @Override
    public boolean isWritable() {
        return writable;
    }

    @Override
    public Channel splicedFrameChannel() {
        return splicedDataHeaderLength() > 0 && state == State.OPEN ? session.plainParent() : null;
    }

    @Override
    public boolean takesSplicedFrames() {
        return state == State.OPEN && pending.isEmpty() && !endRequested && !closeRequested
                && sendCredit >= sendUnit.cost(maxDataPayload()) && !session.isClosed();
    }

    @Override
    public int maxSplicedPayload() {
        return maxDataPayload();
    }

    @Override
    public void writeSplicedFrame(FileRegion payload, int length) {
        int prefix = splicedDataHeaderLength();
        ByteBuf header = session.parent().alloc().ioBuffer(WebSocketFrameHeader.MAX_LENGTH + prefix);
        WebSocketFrameHeader.writeBinary(header, (long) prefix + length);
        writeSplicedDataHeader(header);
        sendCredit -= sendUnit.cost(length);
        session.send(header);
        session.send(payload);
    }

    @Override
    public void setReading(boolean on) {
        session.onLoop(() -> {
            reading = on;
            if (on) {
                deliverHeld();
            }
        });
    }

    @Override
    public void shutdownOutput() {
        session.onLoop(() -> {
            if (state == State.CLOSED || endRequested) {
                return;
            }
            endRequested = true;
            drainPending();
            session.flush();
        });
    }

    @Override
    public void close() {
        session.onLoop(() -> {
            if (state == State.CLOSED || closeRequested) {
                return;
            }
            closeRequested = true;
            if (!pending.isEmpty()) {
                cancelTimer();
                timer = eventLoop().schedule(() -> closeNow(MuxCloseReason.TIMEOUT, true),
                        CLOSE_LINGER.toNanos(), TimeUnit.NANOSECONDS);
            }
            drainPending();
            session.flush();
        });
    }

    @Override
    public void abort() {
        session.onLoop(() -> {
            closeNow(outcome != null && outcome.error() ? outcome : MuxCloseReason.SHUTDOWN, true);
            session.flush();
        });
    }

    /** Learns how the splice ended, so the close that follows carries the reason. */
    @Override
    public void spliceEnding(String spliceOutcome, Throwable cause) {
        MuxCloseReason r = MuxCloseReason.ofSpliceOutcome(spliceOutcome);
        session.onLoop(() -> {
            if (outcome == null) {
                outcome = r;
            }
        });
    }

    /** Closes the stream at once with {@code reason}, telling the peer unless it is already gone. */
    public void closeNow(MuxCloseReason reason, boolean tellPeer) {
        if (state == State.CLOSED) {
            return;
        }
        releasePending();
        if (tellPeer && !session.isClosed()) {
            sendClose(reason);
        }
        finish(reason);
    }

    // ---- internals ----

    private void deliver(ByteBuf data) {
        int n = data.readableBytes();
        receive.consumed(n);
        session.creditDue(this);
        sink.onData(data);
    }

    /** Data went straight to the splice during the parent's read: its batch ends with the session's read. */
    private void deliverNow(ByteBuf data) {
        deliver(data);
        session.readCompleteDue(this);
    }

    /** Called by the session at the end of its read: the splice may flush what this stream handed it. */
    void readComplete() {
        if (sink != null && state != State.CLOSED) {
            sink.onReadComplete();
        }
    }

    private void deliverHeld() {
        if (sink == null) {
            return;
        }
        boolean delivered = false;
        while (reading && !held.isEmpty() && state != State.CLOSED) {
            ByteBuf data = held.poll();
            heldSlices.left();
            heldBytes -= data.readableBytes();
            deliver(data);
            delivered = true;
        }
        if (delivered) {
            sink.onReadComplete();
        }
        if (inputEnded && held.isEmpty() && !inputEndDelivered && state != State.CLOSED) {
            inputEndDelivered = true;
            sink.onInputShutdown();
        }
    }

    /** Called by the session at a flush point: grants what was consumed. */
    void grantNow() {
        if (state == State.CLOSED || inputEnded) {
            return;
        }
        long g = receive.takeGrant(true);
        if (g > 0) {
            grantCredit(g);
        }
    }

    private void drainPending() {
        if (state == State.OPEN) {
            while (!pending.isEmpty() && sendCredit > 0) {
                ByteBuf head = pending.peek();
                int n = head.readableBytes();
                long allowedBytes = sendUnit == CreditWindow.Unit.BYTES ? Math.min(sendCredit, maxDataPayload()) : maxDataPayload();
                ByteBuf frame;
                if (n > allowedBytes) {
                    frame = head.readRetainedSlice((int) allowedBytes);
                } else {
                    frame = pending.poll();
                }
                int len = frame.readableBytes();
                pendingBytes -= len;
                sendCredit -= sendUnit.cost(len);
                sendData(frame);
            }
            if (pending.isEmpty()) {
                if (closeRequested) {
                    MuxCloseReason reason = outcome != null ? outcome : MuxCloseReason.NORMAL;
                    if (!session.isClosed()) {
                        sendClose(reason);
                    }
                    finish(reason);
                    return;
                }
                if (endRequested && !outputEnded) {
                    outputEnded = true;
                    sendEnd();
                }
            }
        }
        updateWritability();
    }

    private void updateWritability() {
        boolean now;
        if (state == State.CLOSED) {
            now = false;
        } else if (writable) {
            now = pendingBytes < queueHighWater && session.parentWritable();
        } else {
            now = pendingBytes <= queueHighWater / 2 && session.parentWritable();
        }
        if (now != writable) {
            writable = now;
            if (sink != null) {
                sink.onWritabilityChanged(now);
            }
        }
    }

    private void finish(MuxCloseReason reason) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        closedWith = reason;
        writable = false;
        cancelTimer();
        releasePending();
        releaseHeld();
        opened.tryFailure(cause(reason == MuxCloseReason.NORMAL ? MuxCloseReason.SESSION_CLOSED : reason));
        session.removed(this);
        onFinished(reason);
        if (sink != null) {
            sink.onClosed(cause(reason));
        }
    }

    private static Throwable cause(MuxCloseReason reason) {
        return reason == null || !reason.error() ? null : new MuxStreamClosedException(reason);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void releaseHeld() {
        ByteBuf b;
        while ((b = held.poll()) != null) {
            b.release();
        }
        heldSlices.clear();
        heldBytes = 0;
    }

    private void releasePending() {
        ByteBuf b;
        while ((b = pending.poll()) != null) {
            b.release();
        }
        pendingBytes = 0;
    }

    @Override
    public String toString() {
        return kind() + "#" + Integer.toUnsignedString(id) + " " + state;
    }
}

package io.isthmus.core.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.splice.EndpointSink;
import io.isthmus.core.transport.WaitingSlices;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The protocol-neutral mux machinery, driven through a toy protocol on an {@link EmbeddedChannel}: every
 * outbound frame is recorded as text ("DATA 1 5", "GRANT 1 5", "END 1", "CLOSE 1 OVERRUN").
 */
class MuxSessionTest {

    private EmbeddedChannel channel;
    private ToySession session;

    @AfterEach
    void tearDown() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private void start(MuxKeepalive keepalive, int maxStreams) {
        channel = new EmbeddedChannel();
        session = new ToySession(channel, maxStreams, keepalive);
        channel.pipeline().addLast(session);
    }

    private ToyStream stream(int id, boolean opening, long credit, long window) {
        ToyStream s = new ToyStream(session, id, new CreditWindow(CreditWindow.Unit.BYTES, window, window / 2), opening, credit);
        assertThat(session.add(s)).isTrue();
        return s;
    }

    private static ByteBuf bytes(int n) {
        return Unpooled.wrappedBuffer(new byte[n]);
    }

    @Test
    void creditWindowCountsBytesOrPacketsAndRefusesAnOverrun() {
        CreditWindow bytes = new CreditWindow(CreditWindow.Unit.BYTES, 100, 50);
        assertThat(bytes.received(60)).isTrue();
        assertThat(bytes.received(41)).isFalse();
        assertThat(bytes.outstanding()).isEqualTo(60);
        bytes.consumed(30);
        assertThat(bytes.takeGrant(false)).isZero();
        assertThat(bytes.takeGrant(true)).isEqualTo(30);
        assertThat(bytes.remaining()).isEqualTo(70);
        bytes.consumed(30);
        assertThat(bytes.takeGrant(false)).isZero();
        bytes.consumed(20);
        assertThat(bytes.takeGrant(false)).isEqualTo(50);

        CreditWindow packets = new CreditWindow(CreditWindow.Unit.PACKETS, 2, 1);
        assertThat(packets.received(70_000)).isTrue();
        assertThat(packets.received(1)).isTrue();
        assertThat(packets.received(1)).isFalse();
    }

    @Test
    void neverSendsBeyondCreditAndSplitsToIt() {
        start(MuxKeepalive.NONE, 8);
        ToyStream s = stream(1, true, 0, 1 << 20);
        s.write(bytes(3000));
        s.flush();
        assertThat(session.out).isEmpty();
        s.peerAccepted(1024);
        assertThat(session.out).containsExactly("DATA 1 1024");
        s.peerCredit(1000);
        s.peerCredit(5000);
        assertThat(session.out).containsExactly("DATA 1 1024", "DATA 1 1000", "DATA 1 976");
        assertThat(s.sendCredit()).isEqualTo(6000 - 1976);
    }

    @Test
    void holdsDataUntilOpenedAndWhileNotReadingAndGrantsOnlyWhatWasDelivered() {
        start(MuxKeepalive.NONE, 8);
        ToyStream s = stream(1, false, 100, 1000);
        s.peerData(bytes(300));
        assertThat(s.heldBytes()).isEqualTo(300);
        RecordingSink sink = new RecordingSink();
        s.open(sink);
        assertThat(sink.bytes).isEqualTo(300);
        channel.runPendingTasks();
        assertThat(session.out).containsExactly("GRANT 1 300");

        s.setReading(false);
        s.peerData(bytes(200));
        channel.runPendingTasks();
        assertThat(sink.bytes).isEqualTo(300);
        assertThat(session.out).containsExactly("GRANT 1 300");
        s.setReading(true);
        channel.runPendingTasks();
        assertThat(sink.bytes).isEqualTo(500);
        assertThat(session.out).containsExactly("GRANT 1 300", "GRANT 1 200");
    }

    @Test
    void heldSmallSlicesOfManyReadsAreCopiedOutOnceTheyWouldPinTooMuch() {
        start(MuxKeepalive.NONE, 8);
        ToyStream s = stream(1, false, 100, 1 << 20);
        List<ByteBuf> reads = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            ByteBuf read = Unpooled.directBuffer(256 * 1024).writeZero(200 * 1024);
            s.peerData(read.retainedSlice(1000, 100));
            read.release();
            reads.add(read);
        }
        assertThat(s.heldBytes()).isEqualTo(3200);
        // Held for a splice that is not there yet: past the slack, copies of their own, not slices keeping
        // 256 KiB each alive.
        long alive = reads.stream().filter(r -> r.refCnt() > 0).count();
        assertThat(alive * 256 * 1024).isLessThanOrEqualTo(2 * 3200 + WaitingSlices.SLACK);
        RecordingSink sink = new RecordingSink();
        s.open(sink);
        assertThat(sink.bytes).isEqualTo(3200);
        assertThat(reads).allMatch(r -> r.refCnt() == 0);
    }

    @Test
    void heldFramesOfOneReadAreHeldAsTheyAre() {
        start(MuxKeepalive.NONE, 8);
        ToyStream s = stream(1, false, 100, 1 << 20);
        ByteBuf read = Unpooled.directBuffer(256 * 1024).writeZero(200 * 1024);
        for (int i = 0; i < 3; i++) {
            s.peerData(read.retainedSlice(i * 64 * 1024, 64 * 1024));
        }
        read.release();
        assertThat(read.refCnt()).as("each held frame still holds the read: no copy").isEqualTo(3);
        RecordingSink sink = new RecordingSink();
        s.open(sink);
        assertThat(sink.bytes).isEqualTo(3 * 64 * 1024);
    }

    @Test
    void dataDeliveredStraightToTheSpliceEndsWithOneReadCompletePerRead() {
        start(MuxKeepalive.NONE, 8);
        ToyStream s = stream(1, false, 100, 1000);
        RecordingSink sink = new RecordingSink();
        s.open(sink);
        channel.runPendingTasks();
        int before = sink.readCompletes;
        channel.writeInbound(frame("D", 1, 10), frame("D", 1, 20));
        channel.runPendingTasks();
        assertThat(sink.bytes).isEqualTo(30);
        // Without it the splice would never flush what it wrote to the other side.
        assertThat(sink.readCompletes).isEqualTo(before + 1);
    }

    @Test
    void replacingGrantsKeepAPeerThatForgetsPacketsInFlightWithinOneWindow() {
        CreditWindow w = CreditWindow.replacing(CreditWindow.Unit.PACKETS, 4, 2);
        for (int i = 0; i < 4; i++) {
            assertThat(w.received(10)).isTrue();
        }
        assertThat(w.received(10)).isFalse();
        w.consumed(10);
        assertThat(w.takeGrant(true)).isZero(); // one unit is not worth a grant
        w.consumed(0);
        assertThat(w.takeGrant(true)).isEqualTo(2); // the peer may now send 2 more in all
        // A peer that replaces its credit with 2 while 0 were in flight: 2 more pass, the third overruns.
        assertThat(w.received(1)).isTrue();
        assertThat(w.received(1)).isTrue();
        assertThat(w.received(1)).isFalse();
        // Grants never let the peer's limit run more than one window ahead of what was consumed.
        w.consumed(1);
        w.consumed(1);
        w.consumed(1);
        w.consumed(1);
        assertThat(w.takeGrant(true)).isEqualTo(4);
        assertThat(w.remaining()).isEqualTo(4);

        CreditWindow none = CreditWindow.unbounded(CreditWindow.Unit.PACKETS);
        for (int i = 0; i < 10_000; i++) {
            assertThat(none.received(1)).isTrue();
            none.consumed(1);
        }
        assertThat(none.takeGrant(true)).isZero();

        start(MuxKeepalive.NONE, 8);
        ToyStream s = new ToyStream(session, 1, CreditWindow.replacing(CreditWindow.Unit.PACKETS, 1, 1), false, 100);
        assertThat(session.add(s)).isTrue();
        s.open(new RecordingSink());
        s.peerData(Unpooled.EMPTY_BUFFER);
        channel.runPendingTasks();
        // An empty data packet still cost a unit, and it comes back.
        assertThat(session.out).containsExactly("GRANT 1 1");
    }

    @Test
    void grantsAreBatchedToTheEndOfTheParentsRead() {
        start(MuxKeepalive.NONE, 8);
        ToyStream s = stream(1, false, 100, 1000);
        RecordingSink sink = new RecordingSink();
        s.open(sink);
        channel.writeInbound(frame("D", 1, 10), frame("D", 1, 20), frame("D", 1, 30));
        channel.runPendingTasks();
        assertThat(sink.bytes).isEqualTo(60);
        assertThat(session.out).containsExactly("GRANT 1 60");
    }

    @Test
    void anOverrunClosesTheStreamNotTheSessionNorItsNeighbours() {
        start(MuxKeepalive.NONE, 8);
        ToyStream bad = stream(1, false, 100, 100);
        ToyStream good = stream(3, false, 100, 100);
        RecordingSink badSink = new RecordingSink();
        RecordingSink goodSink = new RecordingSink();
        bad.open(badSink);
        good.open(goodSink);
        bad.peerData(bytes(101));
        assertThat(bad.closedWith()).isEqualTo(MuxCloseReason.OVERRUN);
        assertThat(badSink.closed).isInstanceOf(MuxStreamClosedException.class);
        assertThat(session.overruns).isEqualTo(1);
        assertThat(session.out).contains("CLOSE 1 OVERRUN");
        assertThat(session.stream(1)).isNull();
        good.peerData(bytes(100));
        assertThat(goodSink.bytes).isEqualTo(100);
        assertThat(channel.isActive()).isTrue();
    }

    @Test
    void theStreamCapAndIdsInUseRefuseAStream() {
        start(MuxKeepalive.NONE, 2);
        stream(0, false, 1, 10);
        ToyStream dup = new ToyStream(session, 0, new CreditWindow(CreditWindow.Unit.BYTES, 10, 5), false, 1);
        assertThat(session.add(dup)).isFalse();
        stream(2, false, 1, 10);
        ToyStream third = new ToyStream(session, 4, new CreditWindow(CreditWindow.Unit.BYTES, 10, 5), false, 1);
        assertThat(session.add(third)).isFalse();
        assertThat(session.streamCount()).isEqualTo(2);
    }

    @Test
    void halfCloseThenCloseSendEndOnceAndCloseOnce() {
        start(MuxKeepalive.NONE, 8);
        ToyStream s = stream(1, false, 10, 100);
        RecordingSink sink = new RecordingSink();
        s.open(sink);
        s.write(bytes(15));
        s.shutdownOutput();
        assertThat(session.out).containsExactly("DATA 1 10");
        s.peerCredit(10);
        assertThat(session.out).containsExactly("DATA 1 10", "DATA 1 5", "END 1");
        s.peerData(bytes(7));
        s.peerEnded();
        assertThat(sink.bytes).isEqualTo(7);
        assertThat(sink.inputShutdown).isTrue();
        s.close();
        s.close();
        s.abort();
        assertThat(session.out).containsExactly("DATA 1 10", "DATA 1 5", "END 1", "CLOSE 1 NORMAL");
        assertThat(s.state()).isEqualTo(MuxStream.State.CLOSED);
        assertThat(sink.closedCount).isEqualTo(1);
        assertThat(session.streamCount()).isZero();
    }

    @Test
    void theCloseCarriesTheSplicesOutcome() {
        start(MuxKeepalive.NONE, 8);
        ToyStream s = stream(1, false, 10, 100);
        s.open(new RecordingSink());
        s.spliceEnding("reset", new java.io.IOException("boom"));
        s.close();
        assertThat(session.out).containsExactly("CLOSE 1 RESET");
        ToyStream idle = stream(3, false, 10, 100);
        idle.open(new RecordingSink());
        idle.write(bytes(50));
        idle.spliceEnding("idle", null);
        idle.abort();
        assertThat(session.out).containsExactly("CLOSE 1 RESET", "CLOSE 3 IDLE");
    }

    @Test
    void anUnacceptedOpenTimesOut() {
        start(MuxKeepalive.NONE, 8);
        ToyStream s = stream(0, true, 0, 100);
        s.awaitAccept(Duration.ofSeconds(30));
        channel.advanceTimeBy(29, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(s.state()).isEqualTo(MuxStream.State.OPENING);
        channel.advanceTimeBy(2, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(s.state()).isEqualTo(MuxStream.State.CLOSED);
        assertThat(s.opened().cause()).isInstanceOf(MuxStreamClosedException.class);
        assertThat(((MuxStreamClosedException) s.opened().cause()).reason()).isEqualTo(MuxCloseReason.TIMEOUT);
        assertThat(session.out).containsExactly("CLOSE 0 TIMEOUT");
    }

    @Test
    void theParentsWritabilityIsFannedOutToEveryStream() {
        start(MuxKeepalive.NONE, 8);
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
        ToyStream a = stream(1, false, 1000, 100);
        ToyStream b = stream(3, false, 1000, 100);
        RecordingSink sa = new RecordingSink();
        RecordingSink sb = new RecordingSink();
        a.open(sa);
        b.open(sb);
        a.write(bytes(64));
        // Inside a read the frame is written but its flush waits for the read's end.
        session.inReadWrite(() -> a.flush());
        assertThat(channel.isWritable()).isFalse();
        assertThat(a.isWritable()).isFalse();
        assertThat(b.isWritable()).isFalse();
        assertThat(sb.writability).containsExactly(false);
        channel.flushOutbound();
        assertThat(b.isWritable()).isTrue();
        assertThat(sb.writability).containsExactly(false, true);
    }

    @Test
    void aStreamWithTooMuchQueuedIsNotWritableUntilItDrainsToHalf() {
        start(MuxKeepalive.NONE, 8);
        ToyStream s = stream(1, false, 0, 100);
        s.queueHighWater(100);
        RecordingSink sink = new RecordingSink();
        s.open(sink);
        s.write(bytes(100));
        assertThat(s.isWritable()).isFalse();
        s.peerCredit(40);
        assertThat(s.isWritable()).isFalse();
        s.peerCredit(10);
        assertThat(s.isWritable()).isTrue();
        assertThat(sink.writability).containsExactly(false, true);
    }

    @Test
    void pingsAtStartAndEveryIntervalAndDropsAPeerThatMissesAPong() {
        start(new PingKeepalive(Duration.ofSeconds(20)), 8);
        assertThat((Object) channel.readOutbound()).isInstanceOf(PingWebSocketFrame.class);
        channel.writeInbound(new PongWebSocketFrame());
        channel.advanceTimeBy(20, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        Object second = channel.readOutbound();
        assertThat(second).isInstanceOf(PingWebSocketFrame.class);
        ReferenceCountUtil.release(second);
        assertThat(channel.isActive()).isTrue();
        channel.advanceTimeBy(20, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).isFalse();
        assertThat(session.deadPeers).isEqualTo(1);
    }

    @Test
    void withFramesProvingLifeABusyPeerStaysAndASilentOneStillGoes() {
        start(new PingKeepalive(Duration.ofSeconds(20), true, null), 8);
        ReferenceCountUtil.release(channel.readOutbound());
        for (int tick = 0; tick < 3; tick++) {
            // Data but no pong: its pong is queued behind the data, the peer is alive.
            channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 0, 9, 1})));
            channel.advanceTimeBy(20, TimeUnit.SECONDS);
            channel.runScheduledPendingTasks();
            ReferenceCountUtil.release(channel.readOutbound());
            assertThat(channel.isActive()).as("tick %d", tick).isTrue();
        }
        channel.advanceTimeBy(20, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).isFalse();
        assertThat(session.deadPeers).isEqualTo(1);
    }

    @Test
    void aPeerPingIsAnsweredAtOnce() {
        start(MuxKeepalive.NONE, 8);
        channel.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2})));
        PongWebSocketFrame pong = channel.readOutbound();
        assertThat(pong.content().readableBytes()).isEqualTo(2);
        pong.release();
    }

    @Test
    void theSessionsEndClosesEveryStreamWithAReason() {
        start(MuxKeepalive.NONE, 8);
        ToyStream a = stream(1, false, 10, 100);
        ToyStream unopened = stream(3, false, 10, 100);
        unopened.peerData(bytes(5));
        RecordingSink sink = new RecordingSink();
        a.open(sink);
        channel.writeInbound(new CloseWebSocketFrame(1000, "bye"));
        assertThat(channel.isActive()).isFalse();
        assertThat(sink.closed).isInstanceOf(MuxStreamClosedException.class);
        assertThat(unopened.closedWith()).isEqualTo(MuxCloseReason.SESSION_CLOSED);
        assertThat(unopened.heldBytes()).isZero();
        assertThat(session.closeFuture().isSuccess()).isTrue();
        assertThat(session.out).isEmpty();
    }

    @Test
    void drainingRefusesNewStreamsAndClosesWithTheLast() {
        start(MuxKeepalive.NONE, 8);
        ToyStream s = stream(1, false, 10, 100);
        s.open(new RecordingSink());
        session.drain();
        ToyStream late = new ToyStream(session, 3, new CreditWindow(CreditWindow.Unit.BYTES, 10, 5), false, 1);
        assertThat(session.add(late)).isFalse();
        s.close();
        CloseWebSocketFrame close = channel.readOutbound();
        assertThat(close.statusCode()).isEqualTo(1001);
        close.release();
        channel.advanceTimeBy(2, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).isFalse();
    }

    private static BinaryWebSocketFrame frame(String type, int id, int payload) {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(type.charAt(0));
        b.writeInt(id);
        b.writeZero(payload);
        return new BinaryWebSocketFrame(b);
    }

    /** Frames: one type byte (D = data), a 4-byte id, the payload. Outbound frames are recorded as text. */
    static final class ToySession extends MuxSession {
        final List<String> out = new ArrayList<>();
        int overruns;
        int deadPeers;
        private boolean fakeRead;

        ToySession(EmbeddedChannel parent, int maxStreams, MuxKeepalive keepalive) {
            super(parent, maxStreams, keepalive);
        }

        void record(String line) {
            out.add(line);
        }

        /** Runs {@code task} as if inside the parent's read, so frames are written but not yet flushed. */
        void inReadWrite(Runnable task) {
            channelReadHook(task);
        }

        private void channelReadHook(Runnable task) {
            fakeRead = true;
            try {
                channelRead(parent.pipeline().context(this), new BinaryWebSocketFrame(Unpooled.EMPTY_BUFFER));
                task.run();
            } finally {
                fakeRead = false;
            }
        }

        @Override
        protected void onMessage(ChannelHandlerContext ctx, WebSocketFrame frame) {
            ByteBuf c = frame.content();
            if (fakeRead || c.readableBytes() < 5) {
                frame.release();
                return;
            }
            c.readByte();
            int id = c.readInt();
            MuxStream s = stream(id);
            if (s == null) {
                frame.release();
                return;
            }
            s.peerData(c.retain());
            frame.release();
        }

        @Override
        protected void onPeerDead() {
            deadPeers++;
        }
    }

    static final class ToyStream extends MuxStream {
        private final ToySession toy;

        ToyStream(ToySession session, int id, CreditWindow receive, boolean opening, long credit) {
            super(session, id, receive, CreditWindow.Unit.BYTES, opening, credit);
            this.toy = session;
        }

        @Override
        protected void sendData(ByteBuf payload) {
            toy.record("DATA " + id() + " " + payload.readableBytes());
            // A real protocol wraps the payload in a frame; here it goes out as one binary frame.
            session.send(new BinaryWebSocketFrame(payload));
        }

        @Override
        protected void grantCredit(long units) {
            toy.record("GRANT " + id() + " " + units);
        }

        @Override
        protected void sendEnd() {
            toy.record("END " + id());
        }

        @Override
        protected void sendClose(MuxCloseReason reason) {
            toy.record("CLOSE " + id() + " " + reason);
        }

        @Override
        protected void onOverrun() {
            toy.overruns++;
        }

        @Override
        public String kind() {
            return "toy-stream";
        }

        @Override
        public boolean supportsHalfClose() {
            return true;
        }
    }

    static final class RecordingSink implements EndpointSink {
        long bytes;
        boolean inputShutdown;
        Throwable closed;
        int closedCount;
        final List<Boolean> writability = new ArrayList<>();

        @Override
        public void onData(ByteBuf data) {
            bytes += data.readableBytes();
            data.release();
        }

        int readCompletes;

        @Override
        public void onReadComplete() {
            readCompletes++;
        }

        @Override
        public void onInputShutdown() {
            inputShutdown = true;
        }

        @Override
        public void onWritabilityChanged(boolean writable) {
            writability.add(writable);
        }

        @Override
        public void onClosed(Throwable cause) {
            closed = cause;
            closedCount++;
        }
    }
}

package io.isthmus.core.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** What {@link WaitingSlices} keeps as it is, what it copies out, and what it accounts as pinned. */
class WaitingSlicesTest {

    private static final int READ = 256 * 1024;

    private static ByteBuf readBuffer(int written, long seed) {
        byte[] bytes = new byte[written];
        new Random(seed).nextBytes(bytes);
        return Unpooled.directBuffer(READ).writeBytes(bytes);
    }

    @Test
    void framesOfOneReadWaitingInARowPinItOnceAndWaitAsTheyAre() {
        WaitingSlices queue = new WaitingSlices();
        ByteBuf read = readBuffer(200 * 1024, 1);
        List<ByteBuf> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ByteBuf frame = read.retainedSlice(i * 64 * 1024, 64 * 1024);
            assertThat(queue.admit(frame)).as("frame %d", i).isSameAs(frame);
            waiting.add(frame);
        }
        read.release();
        assertThat(queue.bytes()).isEqualTo(3 * 64 * 1024);
        assertThat(queue.pinned()).isEqualTo(READ);
        // The read stays pinned while its last frame waits.
        queue.left();
        queue.left();
        assertThat(queue.pinned()).isEqualTo(READ);
        queue.left();
        assertThat(queue.pinned()).isZero();
        assertThat(queue.bytes()).isZero();
        waiting.forEach(ByteBuf::release);
        assertThat(read.refCnt()).isZero();
    }

    @Test
    void smallSlicesOfManyReadsPinAtMostTwiceWhatWaitsPlusTheSlack() {
        WaitingSlices queue = new WaitingSlices();
        List<ByteBuf> reads = new ArrayList<>();
        List<ByteBuf> waiting = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            ByteBuf read = readBuffer(READ, i);
            byte[] expected = ByteBufUtil.getBytes(read, 1000, 100);
            ByteBuf admitted = queue.admit(read.retainedSlice(1000, 100));
            read.release();
            reads.add(read);
            waiting.add(admitted);
            assertThat(ByteBufUtil.getBytes(admitted)).isEqualTo(expected);
            assertThat(queue.pinned()).isLessThanOrEqualTo(2 * queue.bytes() + WaitingSlices.SLACK);
        }
        long alive = reads.stream().filter(r -> r.refCnt() > 0).count();
        assertThat(alive * READ).as("memory the waiting slices really keep alive")
                .isLessThanOrEqualTo(2 * queue.bytes() + WaitingSlices.SLACK);
        assertThat(alive).as("the slack keeps the first reads as they are").isEqualTo(2);
        waiting.forEach(ByteBuf::release);
        assertThat(reads).allMatch(r -> r.refCnt() == 0);
    }

    @Test
    void aPayloadSpanningTwoReadsIsAccountedByItsPartsAndHandsTheSecondOn() {
        WaitingSlices queue = new WaitingSlices();
        ByteBuf first = readBuffer(READ, 3);
        ByteBuf second = readBuffer(150 * 1024, 4);
        CompositeByteBuf spanning = Unpooled.compositeBuffer(2)
                .addComponent(true, first.retainedSlice(READ - 30 * 1024, 30 * 1024))
                .addComponent(true, second.retainedSlice(0, 34 * 1024));
        assertThat(queue.admit(spanning)).isSameAs(spanning);
        assertThat(queue.pinned()).isEqualTo(2L * READ);
        ByteBuf next = second.retainedSlice(34 * 1024, 64 * 1024);
        assertThat(queue.admit(next)).isSameAs(next);
        assertThat(queue.pinned()).as("the second read is pinned once").isEqualTo(2L * READ);
        queue.left();
        assertThat(queue.pinned()).as("the first read is free, the second still waits").isEqualTo(READ);
        queue.left();
        assertThat(queue.pinned()).isZero();
        spanning.release();
        next.release();
        first.release();
        second.release();
        assertThat(first.refCnt()).isZero();
        assertThat(second.refCnt()).isZero();
    }

    @Test
    void aBufferJoiningManyReadsIsCopiedOut() {
        WaitingSlices queue = new WaitingSlices();
        CompositeByteBuf joined = Unpooled.compositeBuffer(16);
        List<ByteBuf> reads = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ByteBuf read = readBuffer(1000, 10 + i);
            reads.add(read);
            joined.addComponent(true, read);
        }
        byte[] expected = ByteBufUtil.getBytes(joined);
        ByteBuf admitted = queue.admit(joined);
        assertThat(admitted).isNotSameAs(joined);
        assertThat(ByteBufUtil.getBytes(admitted)).isEqualTo(expected);
        assertThat(reads).allMatch(r -> r.refCnt() == 0);
        assertThat(queue.pinned()).isEqualTo(5000);
        admitted.release();
    }

    @Test
    void trimToDropsTheEntriesTheQueueNoLongerCounts() {
        WaitingSlices queue = new WaitingSlices();
        List<ByteBuf> reads = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ByteBuf read = readBuffer(READ, 20 + i);
            reads.add(read);
            queue.admit(read);
        }
        int overhead = 96;
        // The first is partly written: the queue still counts all three.
        queue.trimTo(3L * (READ + overhead), overhead);
        assertThat(queue.bytes()).isEqualTo(3L * READ);
        // The first left; the second is partly written.
        queue.trimTo(2L * (READ + overhead), overhead);
        assertThat(queue.bytes()).isEqualTo(2L * READ);
        // Others' bytes in the queue keep the ledger from dropping what may still wait.
        queue.trimTo(READ + overhead + 5000, overhead);
        assertThat(queue.bytes()).isEqualTo(2L * READ);
        queue.trimTo(0, overhead);
        assertThat(queue.bytes()).isZero();
        assertThat(queue.pinned()).isZero();
        reads.forEach(ByteBuf::release);
    }

    @Test
    void clearForgetsEverything() {
        WaitingSlices queue = new WaitingSlices();
        ByteBuf read = readBuffer(READ, 30);
        queue.admit(read);
        queue.clear();
        assertThat(queue.bytes()).isZero();
        assertThat(queue.pinned()).isZero();
        queue.left();
        assertThat(queue.bytes()).isZero();
        read.release();
    }
}

package io.isthmus.core.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** What {@link ReadBufferSlices#detach} keeps and what it copies out, and that it owns what it is given. */
class ReadBufferSlicesTest {

    private static ByteBuf readBuffer(int capacity, int written) {
        byte[] bytes = new byte[written];
        new Random(written).nextBytes(bytes);
        return Unpooled.directBuffer(capacity).writeBytes(bytes);
    }

    @Test
    void aFullReadBufferIsKept() {
        ByteBuf own = readBuffer(64 * 1024, 40 * 1024);
        ByteBuf detached = ReadBufferSlices.detach(own);
        assertThat(detached).isSameAs(own);
        detached.release();
    }

    @Test
    void aMostlyEmptyReadBufferIsCopiedOut() {
        ByteBuf sparse = readBuffer(256 * 1024, 10);
        byte[] expected = ByteBufUtil.getBytes(sparse);
        ByteBuf detached = ReadBufferSlices.detach(sparse);
        assertThat(sparse.refCnt()).isZero();
        assertThat(detached.capacity()).isEqualTo(10);
        assertThat(ByteBufUtil.getBytes(detached)).isEqualTo(expected);
        detached.release();
    }

    @Test
    void aSliceCarryingMostOfItsReadBufferIsKept() {
        ByteBuf read = readBuffer(128 * 1024, 128 * 1024);
        ByteBuf slice = read.retainedSlice(5, 64 * 1024);
        read.release();
        ByteBuf detached = ReadBufferSlices.detach(slice);
        assertThat(detached).isSameAs(slice);
        detached.release();
        assertThat(read.refCnt()).isZero();
    }

    @Test
    void aSmallSliceOfALargeReadBufferIsCopiedOutAndLetsTheBufferGo() {
        ByteBuf read = readBuffer(256 * 1024, 200 * 1024);
        byte[] expected = ByteBufUtil.getBytes(read, 1000, 100);
        ByteBuf slice = read.retainedSlice(1000, 100);
        read.release();
        ByteBuf detached = ReadBufferSlices.detach(slice);
        assertThat(detached).isNotSameAs(slice);
        assertThat(read.refCnt()).as("the read buffer is no longer pinned").isZero();
        assertThat(detached.capacity()).isEqualTo(100);
        assertThat(detached.isDirect()).isTrue();
        assertThat(ByteBufUtil.getBytes(detached)).isEqualTo(expected);
        detached.release();
    }

    @Test
    void aSliceOfJoinedReadsIsCopiedOut() {
        ByteBuf first = readBuffer(64 * 1024, 64 * 1024);
        ByteBuf second = readBuffer(64 * 1024, 64 * 1024);
        CompositeByteBuf joined = Unpooled.compositeBuffer().addComponents(true, first, second);
        byte[] expected = ByteBufUtil.getBytes(joined, 60 * 1024, 60 * 1024);
        ByteBuf slice = joined.retainedSlice(60 * 1024, 60 * 1024);
        joined.release();
        ByteBuf detached = ReadBufferSlices.detach(slice);
        assertThat(first.refCnt()).isZero();
        assertThat(second.refCnt()).isZero();
        assertThat(ByteBufUtil.getBytes(detached)).isEqualTo(expected);
        detached.release();
    }
}

package io.isthmus.core.splice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import io.isthmus.core.transport.WaitingSlices;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Writes that wait behind bytes the socket has not taken keep the read buffers they are slices of alive
 * (WebSocket payloads are slices of the read they came in) only within {@link WaitingSlices}' bound: small
 * slices of many reads are copied out, frames of one read and slices carrying most of their read wait as
 * they are. The peer is a real loopback socket that reads nothing.
 */
class WaitingWritesDetachTest {

    private EventLoopGroup group;
    private ServerSocket server;
    private Socket peer;
    private TcpEndpoint endpoint;
    private Channel channel;

    @BeforeEach
    void connect() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        channel = new Bootstrap().group(group).channel(NioSocketChannel.class).handler(new ChannelInboundHandlerAdapter())
                .connect(server.getLocalSocketAddress()).sync().channel();
        peer = server.accept(); // never reads
        endpoint = TcpEndpoint.adopt(channel, Unpooled.EMPTY_BUFFER, 1 << 20);
    }

    @AfterEach
    void close() throws Exception {
        channel.close().sync();
        peer.close();
        server.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    /** Writes and flushes until the socket leaves flushed bytes unwritten. */
    private void fillTheSocket() {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            channel.eventLoop().submit(() -> {
                endpoint.write(Unpooled.directBuffer(1 << 20).writeZero(1 << 20));
                endpoint.flush();
            }).sync();
            return channel.eventLoop().submit(() -> channel.unsafe().outboundBuffer().size() > 0).get();
        });
    }

    private static ByteBuf readBuffer() {
        return Unpooled.directBuffer(256 * 1024).writeZero(200 * 1024);
    }

    @Test
    void smallSlicesThatMustWaitPinAtMostTwiceWhatWaitsPlusTheSlack() throws Exception {
        fillTheSocket();
        List<ByteBuf> reads = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            ByteBuf read = readBuffer();
            ByteBuf payload = read.retainedSlice(1000, 4096);
            read.release();
            reads.add(read);
            channel.eventLoop().submit(() -> endpoint.write(payload)).sync();
        }
        long waiting = channel.eventLoop().submit(() -> channel.unsafe().outboundBuffer().totalPendingWriteBytes()).get();
        long alive = reads.stream().filter(r -> r.refCnt() > 0).count();
        assertThat(alive).as("most small slices were copied out, letting their reads go").isLessThan(64);
        assertThat(alive * 256 * 1024).as("memory the waiting slices keep alive")
                .isLessThanOrEqualTo(2 * waiting + WaitingSlices.SLACK);
    }

    @Test
    void framesOfOneReadThatMustWaitWaitAsTheyAre() throws Exception {
        fillTheSocket();
        ByteBuf read = readBuffer();
        for (int i = 0; i < 3; i++) {
            ByteBuf frame = read.retainedSlice(i * 64 * 1024, 64 * 1024);
            channel.eventLoop().submit(() -> endpoint.write(frame)).sync();
        }
        read.release();
        assertThat(read.refCnt()).as("no frame was copied out: each still holds the read").isEqualTo(3);
    }

    @Test
    void aSliceCarryingMostOfItsReadWaitsAsItIs() throws Exception {
        fillTheSocket();
        ByteBuf read = readBuffer();
        ByteBuf payload = read.retainedSlice(0, 192 * 1024);
        read.release();
        channel.eventLoop().submit(() -> endpoint.write(payload)).sync();
        assertThat(read.refCnt()).as("no copy was made").isPositive();
    }
}

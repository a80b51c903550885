package io.isthmus.core.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The epoll registration bug behind {@link KeepRegisteredEpollIoHandler}, reproduced on a real socket: the
 * server side sees the client's FIN while not reading, has nothing queued (its interest set becomes empty),
 * and then writes more than the socket buffer holds. Plain Netty 4.2.18 fails that write; the decorated
 * handler delivers every byte. When the first test starts failing, Netty has fixed the bug.
 */
class KeepRegisteredEpollIoHandlerTest {

    private static final int PAYLOAD = 16 * 1024 * 1024;

    @Test
    void plainNettyEpollLosesTheChannelAfterItsInterestSetEmpties() throws Exception {
        assumeTrue(Epoll.isAvailable(), "epoll is what this bug is about");
        assertThat(bytesDeliveredAfterHalfClose(EpollIoHandler.newFactory()))
                .as("Netty 4.2.18 closes the channel; if this passes fully, drop KeepRegisteredEpollIoHandler")
                .isLessThan(PAYLOAD);
    }

    @Test
    void theDecoratedHandlerKeepsTheChannelRegistered() throws Exception {
        assumeTrue(Epoll.isAvailable(), "epoll is what this bug is about");
        assertThat(bytesDeliveredAfterHalfClose(KeepRegisteredEpollIoHandler.newFactory())).isEqualTo(PAYLOAD);
    }

    private static long bytesDeliveredAfterHalfClose(IoHandlerFactory factory) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, factory);
        CompletableFuture<Channel> halfClosed = new CompletableFuture<>();
        try {
            Channel server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                    if (evt instanceof ChannelInputShutdownEvent) {
                                        halfClosed.complete(ctx.channel());
                                    }
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    ctx.close();
                                }
                            });
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            try (Socket client = new Socket()) {
                client.connect(server.localAddress());
                client.setSoTimeout(10_000);
                client.shutdownOutput();
                Channel child = halfClosed.get(10, TimeUnit.SECONDS);
                ChannelFuture written = child.writeAndFlush(Unpooled.wrappedBuffer(new byte[PAYLOAD]));
                // Read only once the socket buffers are full and the write waits for EPOLLOUT (the step that
                // fails on plain Netty, where the write then ends at once); a client draining at once could
                // let all of it through without that wait.
                await().atMost(Duration.ofSeconds(10)).until(() -> written.isDone() || !child.isWritable());
                long received = 0;
                InputStream in = client.getInputStream();
                byte[] buf = new byte[64 * 1024];
                int n;
                while (received < PAYLOAD && (n = in.read(buf)) >= 0) {
                    received += n;
                }
                written.await(10, TimeUnit.SECONDS);
                return received;
            } finally {
                server.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}

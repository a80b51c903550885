package io.isthmus.rawsocket.demo;

import io.isthmus.core.spi.PluginService;
import io.isthmus.core.transport.Transport;
import io.isthmus.rawsocket.target.DemoTargets;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo page's own services on 127.0.0.1, ephemeral ports, on the gateway's event loops: a TCP echo, a
 * banner-then-close service (an SMTP-style greeting, then FIN) and a UDP echo. Reachable through the bridge
 * only as the {@link DemoTargets} tokens; nothing else on loopback is opened by them.
 */
public final class DemoServices implements PluginService {

    private static final Logger LOG = LoggerFactory.getLogger(DemoServices.class);

    private final Transport transport;
    private final EventLoopGroup group;
    private final DemoTargets targets;
    private final String banner;
    private final List<Channel> listeners = new ArrayList<>();

    public DemoServices(Transport transport, EventLoopGroup group, DemoTargets targets, String banner) {
        this.transport = transport;
        this.group = group;
        this.targets = targets;
        this.banner = banner;
    }

    @Override
    public void start() {
        try {
            InetAddress loopback = InetAddress.getByName("127.0.0.1");
            targets.addTcp(DemoTargets.ECHO, listen(loopback, new TcpEcho()));
            targets.addTcp(DemoTargets.BANNER, listen(loopback, new Banner(banner)));
            Channel udp = new Bootstrap().group(group).channel(transport.datagramChannel())
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(65536))
                    .handler(new UdpEcho())
                    .bind(new InetSocketAddress(loopback, 0)).sync().channel();
            listeners.add(udp);
            targets.addUdp(DemoTargets.UDP_ECHO, (InetSocketAddress) udp.localAddress());
            LOG.info("demo services listening on 127.0.0.1 (tokens {}, {}, {})", DemoTargets.ECHO, DemoTargets.BANNER,
                    DemoTargets.UDP_ECHO);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warn("demo services could not start: {}", e.toString());
        }
    }

    private InetSocketAddress listen(InetAddress address, ChannelHandler handler) throws InterruptedException {
        Channel server = new ServerBootstrap().group(group).channel(transport.serverChannel())
                .childHandler(handler)
                .bind(new InetSocketAddress(address, 0)).sync().channel();
        listeners.add(server);
        return (InetSocketAddress) server.localAddress();
    }

    @Override
    public void stop() {
        targets.clear();
        for (Channel c : listeners) {
            c.close();
        }
        listeners.clear();
    }

    @ChannelHandler.Sharable
    private static final class TcpEcho extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @ChannelHandler.Sharable
    private static final class Banner extends ChannelInboundHandlerAdapter {
        private final byte[] text;

        Banner(String banner) {
            this.text = (banner + "\r\n").getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ByteBuf greeting = ctx.alloc().buffer(text.length).writeBytes(text);
            ctx.writeAndFlush(greeting).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            io.netty.util.ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static final class UdpEcho extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof DatagramPacket packet) {
                ctx.writeAndFlush(new DatagramPacket(packet.content(), packet.sender()));
            } else {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A port-unreachable answer to an echo must not stop the service.
        }
    }
}

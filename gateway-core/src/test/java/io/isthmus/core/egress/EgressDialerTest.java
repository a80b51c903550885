package io.isthmus.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.egress.EgressRefusal.Reason;
import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.metrics.ProtocolMetrics;
import io.isthmus.core.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.resolver.dns.SingletonDnsServerAddressStreamProvider;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dialer against real sockets on 127.0.0.1, and a real (loopback) DNS server for names: refusals
 * never touch the network, allowed dials reach the checked address, failures fail the future.
 */
class EgressDialerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final EgressConfig CONFIG = EgressConfig.defaults();

    private final Transport transport = Transport.choose("auto");
    private EventLoopGroup group;
    private GatewayMetrics gatewayMetrics;
    private ProtocolMetrics metrics;
    private EgressDialer dialer;
    private LoopbackDnsServer dns;
    private Channel listener;
    private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        group = transport.newGroup(2, new DefaultThreadFactory("egress-test"));
        gatewayMetrics = new GatewayMetrics("test");
        metrics = gatewayMetrics.protocol("test");
        byte[] loopback = {127, 0, 0, 1};
        byte[] publicAddress = {93, (byte) 184, (byte) 215, 14};
        dns = new LoopbackDnsServer(transport, group, Map.of(
                "loopback.test", List.of(InetAddress.getByAddress(loopback)),
                "rebind.test", List.of(InetAddress.getByAddress(publicAddress), InetAddress.getByAddress(loopback)),
                "metadata.test", List.of(InetAddress.getByName("169.254.169.254"))));
        dialer = new EgressDialer(transport, group, CONFIG, new SingletonDnsServerAddressStreamProvider(dns.address()));
        listener = new ServerBootstrap().group(group).channel(transport.serverChannel())
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted.add(ch);
                        ch.pipeline().addLast(new Echo());
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : cleanup) {
            c.close();
        }
        dialer.close();
        listener.close().sync();
        dns.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        gatewayMetrics.close();
    }

    @Test
    void refusesLoopbackByDefaultWithoutTouchingTheNetwork() throws Exception {
        Future<Channel> dial = dialer.connect(new EgressTarget("127.0.0.1", port()), EgressPolicy.defaults(),
                group.next(), new ChannelInboundHandlerAdapter(), metrics);

        assertRefused(dial, Reason.NON_PUBLIC_ADDRESS);
        assertThat(refusals("non_public_address")).isEqualTo(1.0);
        // The refusal completes the future before any connection is attempted.
        assertThat(accepted).isEmpty();
    }

    @Test
    void connectsToTheCheckedAddressOnTheCallersLoopWithReadingOff() throws Exception {
        EventLoop loop = group.next();
        Future<Channel> dial = dialer.connect(new EgressTarget("0x7f.1", port()), loopbackAllowed(), loop,
                new ChannelInboundHandlerAdapter(), metrics);

        Channel ch = connected(dial);
        assertThat(ch.remoteAddress()).isEqualTo(listener.localAddress());
        assertThat(ch.eventLoop()).isSameAs(loop);
        assertThat(ch.config().isAutoRead()).isFalse();
        assertThat(ch.config().getOption(ChannelOption.TCP_NODELAY)).isTrue();
        Channel server = accepted.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(server).isNotNull();
        assertThat(server.remoteAddress()).isEqualTo(ch.localAddress());
        assertThat(refusals("non_public_address")).isZero();
    }

    @Test
    void theDialedChannelCarriesBytesOnceTheCallerReads() throws Exception {
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        ChannelHandler collector = new SimpleChannelInboundHandler<ByteBuf>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                received.add(msg.toString(StandardCharsets.US_ASCII));
            }
        };
        Channel ch = connected(dialer.connect(new EgressTarget("127.0.0.1", port()), loopbackAllowed(), null,
                collector, metrics));

        ch.writeAndFlush(Unpooled.copiedBuffer("ping", StandardCharsets.US_ASCII)).sync();
        ch.read();
        assertThat(received.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("ping");
    }

    @Test
    void aClosedPortFailsTheFutureAndIsNotARefusal() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Future<Channel> dial = dialer.connect(new EgressTarget("127.0.0.1", closedPort), loopbackAllowed(),
                group.next(), new ChannelInboundHandlerAdapter(), metrics);

        assertThat(dial.await(WAIT.toMillis())).isTrue();
        assertThat(dial.cause()).isInstanceOf(ConnectException.class);
        assertThat(metrics.registry().find("isthmus.egress.refusals").counters()).isEmpty();
    }

    @Test
    void aConnectionThatNeverCompletesTimesOut() throws Exception {
        // A listener that never accepts, its queue filled: the kernel drops further SYNs, as a firewall would.
        ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        cleanup.add(full);
        boolean dropping = false;
        for (int i = 0; i < 16 && !dropping; i++) {
            Socket s = new Socket();
            cleanup.add(s);
            try {
                s.connect(full.getLocalSocketAddress(), 200);
            } catch (SocketTimeoutException e) {
                dropping = true;
            }
        }
        assertThat(dropping).as("the listen queue fills").isTrue();
        EgressConfig quick = new EgressConfig(List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
                Duration.ofMillis(300));
        try (EgressDialer impatient = new EgressDialer(transport, group, quick)) {
            long started = System.nanoTime();
            Future<Channel> dial = impatient.connect(new EgressTarget("127.0.0.1", full.getLocalPort()),
                    loopbackAllowed(), group.next(), new ChannelInboundHandlerAdapter(), metrics);

            assertThat(dial.await(WAIT.toMillis())).isTrue();
            assertThat(dial.cause()).isInstanceOf(ConnectTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void localhostIsRefusedByNameEvenWhenLoopbackIsAllowed() throws Exception {
        Future<Channel> dial = dialer.connect(new EgressTarget("localhost", port()), loopbackAllowed(),
                group.next(), new ChannelInboundHandlerAdapter(), metrics);

        assertRefused(dial, Reason.DENIED_NAME);
        assertThat(refusals("denied_name")).isEqualTo(1.0);
        assertThat(dns.asked()).isEmpty();
    }

    @Test
    void localhostResolvesThroughTheHostsFileWhenAllowedByName() throws Exception {
        EgressPolicy policy = EgressPolicy.of(new EgressRules(List.of(), List.of(), List.of("localhost"), List.of(),
                List.of(), List.of()));
        Channel ch = connected(dialer.connect(new EgressTarget("LocalHost.", port()), policy, group.next(),
                new ChannelInboundHandlerAdapter(), metrics));

        assertThat(((InetSocketAddress) ch.remoteAddress()).getAddress().isLoopbackAddress()).isTrue();
        assertThat(((InetSocketAddress) ch.remoteAddress()).getPort()).isEqualTo(port());
        assertThat(dns.asked()).doesNotContain("localhost");
    }

    @Test
    void aNameResolvingToAllowedAddressesConnects() throws Exception {
        Channel ch = connected(dialer.connect(new EgressTarget("loopback.test", port()), loopbackAllowed(),
                group.next(), new ChannelInboundHandlerAdapter(), metrics));

        assertThat(ch.remoteAddress()).isEqualTo(listener.localAddress());
        assertThat(dns.asked()).contains("loopback.test");
    }

    @Test
    void dialOptionsSetChannelOptionsAndKeepOnlyTheAskedFamily() throws Exception {
        DialOptions v4 = new DialOptions(Duration.ofSeconds(2), DialOptions.Family.IPV4,
                Map.of(ChannelOption.TCP_NODELAY, false, ChannelOption.SO_KEEPALIVE, true));
        Channel ch = connected(dialer.connect(new EgressTarget("loopback.test", port()), loopbackAllowed(),
                group.next(), new ChannelInboundHandlerAdapter(), metrics, v4));
        assertThat(ch.config().getOption(ChannelOption.TCP_NODELAY)).isFalse();
        assertThat(ch.config().getOption(ChannelOption.SO_KEEPALIVE)).isTrue();

        DialOptions v6 = new DialOptions(null, DialOptions.Family.IPV6, Map.of());
        EgressRefusal literal = assertRefused(dialer.connect(new EgressTarget("127.0.0.1", port()), loopbackAllowed(),
                group.next(), new ChannelInboundHandlerAdapter(), metrics, v6), Reason.NO_ADDRESS);
        assertThat(literal.message()).isEqualTo("host 127.0.0.1 is not an IPv6 address");
        EgressRefusal named = assertRefused(dialer.connect(new EgressTarget("loopback.test", port()), loopbackAllowed(),
                group.next(), new ChannelInboundHandlerAdapter(), metrics, v6), Reason.NO_ADDRESS);
        assertThat(named.message()).isEqualTo("host loopback.test has no IPv6 address");
    }

    @Test
    void aNameIsRefusedWhenAnyResolvedAddressIsRefused() throws Exception {
        // One public and one loopback answer: the first would be allowed, but a rebinding client picks the second.
        Future<Channel> dial = dialer.connect(new EgressTarget("rebind.test", port()), EgressPolicy.defaults(),
                group.next(), new ChannelInboundHandlerAdapter(), metrics);

        EgressRefusal refusal = assertRefused(dial, Reason.NON_PUBLIC_ADDRESS);
        assertThat(refusal.message()).contains("rebind.test").doesNotContain("127.0.0.1");
        assertThat(refusals("non_public_address")).isEqualTo(1.0);
        assertThat(accepted).isEmpty();
    }

    @Test
    void aNameResolvingToTheMetadataServiceIsRefused() throws Exception {
        assertRefused(dialer.connect(new EgressTarget("metadata.test", 80), EgressPolicy.defaults(), group.next(),
                new ChannelInboundHandlerAdapter(), metrics), Reason.NON_PUBLIC_ADDRESS);
    }

    @Test
    void anUnknownNameIsAResolutionFailure() throws Exception {
        Future<Channel> dial = dialer.connect(new EgressTarget("missing.test", port()), EgressPolicy.defaults(),
                group.next(), new ChannelInboundHandlerAdapter(), metrics);

        assertRefused(dial, Reason.RESOLUTION_FAILED);
        assertThat(refusals("resolution_failed")).isEqualTo(1.0);
    }

    @Test
    void invalidTargetsAndPortsAreRefusedAndCounted() throws Exception {
        assertRefused(dialer.connect(new EgressTarget("127.0.0.1.1", port()), loopbackAllowed(), group.next(),
                new ChannelInboundHandlerAdapter(), metrics), Reason.INVALID_TARGET);
        assertRefused(dialer.connect(new EgressTarget("127.0.0.1", 0), loopbackAllowed(), group.next(),
                new ChannelInboundHandlerAdapter(), metrics), Reason.DENIED_PORT);
        assertThat(refusals("invalid_target")).isEqualTo(1.0);
        assertThat(refusals("denied_port")).isEqualTo(1.0);
    }

    @Test
    void udpIsRefusedByDefaultAndConnectsWhenAllowed() throws Exception {
        Channel udpEcho = new Bootstrap().group(group).channel(transport.datagramChannel())
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        ctx.writeAndFlush(new DatagramPacket(packet.content().retain(), packet.sender()));
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        cleanup.add(() -> udpEcho.close().sync());
        int udpPort = ((InetSocketAddress) udpEcho.localAddress()).getPort();

        assertRefused(dialer.connectUdp(new EgressTarget("127.0.0.1", udpPort), EgressPolicy.defaults(), group.next(),
                new ChannelInboundHandlerAdapter(), metrics), Reason.NON_PUBLIC_ADDRESS);

        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        Future<DatagramChannel> dial = dialer.connectUdp(new EgressTarget("127.0.0.1", udpPort), loopbackAllowed(),
                group.next(), new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        received.add(packet.content().toString(StandardCharsets.US_ASCII));
                    }
                }, metrics);
        DatagramChannel ch = connected(dial);
        assertThat(ch.isConnected()).isTrue();
        assertThat(ch.remoteAddress()).isEqualTo(udpEcho.localAddress());
        assertThat(ch.config().isAutoRead()).isFalse();

        ch.writeAndFlush(Unpooled.copiedBuffer("datagram", StandardCharsets.US_ASCII)).sync();
        ch.read();
        assertThat(received.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("datagram");
    }

    private int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    private static EgressPolicy loopbackAllowed() {
        return EgressPolicy.of(new EgressRules(List.of("127.0.0.0/8"), List.of(), List.of(), List.of(), List.of(), List.of()));
    }

    private double refusals(String reason) {
        var counter = metrics.registry().find("isthmus.egress.refusals").tags("protocol", "test", "reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    private <C extends Channel> C connected(Future<C> dial) throws InterruptedException {
        assertThat(dial.await(WAIT.toMillis())).as("the dial completes").isTrue();
        assertThat(dial.cause()).isNull();
        C ch = dial.getNow();
        cleanup.add(() -> ch.close().sync());
        return ch;
    }

    private static EgressRefusal assertRefused(Future<?> dial, Reason reason) throws InterruptedException {
        assertThat(dial.await(WAIT.toMillis())).as("the dial completes").isTrue();
        assertThat(dial.cause()).isInstanceOf(EgressRefusedException.class);
        EgressRefusal refusal = ((EgressRefusedException) dial.cause()).refusal();
        assertThat(refusal.reason()).isEqualTo(reason);
        return refusal;
    }

    /** Writes back what it reads, releasing nothing it does not own: the write takes the buffer. */
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }
    }
}

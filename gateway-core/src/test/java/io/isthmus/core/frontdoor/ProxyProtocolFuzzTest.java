package io.isthmus.core.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.fuzz.FuzzSupport;
import io.isthmus.core.fuzz.FuzzSupport.Chunked;
import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.metrics.ProtocolMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;

/**
 * A connection's first bytes into the PROXY protocol path the front door installs ({@link ProxyProtocolGate},
 * then Netty's {@code HAProxyMessageDecoder} and {@link ProxyHeaderReader}), in an {@link EmbeddedChannel}
 * with a handler behind it that takes every byte and exception. This is in the front door's own package:
 * the gate and reader are package-private.
 *
 * <p>Input: a 7-byte chunk plan ({@link Chunked}); bit 0x20 of its first byte makes the peer a configured
 * source, bit 0x40 makes the header required. Properties: nothing throws out of the pipeline and nothing but
 * bytes reaches the handler behind; if the channel stays open, what reached it is the input itself (no
 * header, from a peer allowed to send none) or the input less exactly one header, and an announced client
 * is an IPv4 or IPv6 address with a port of 0–65535; a header from a peer that is not a source never
 * passes; every buffer is released (the leak guard fails the class otherwise).
 */
class ProxyProtocolFuzzTest {

    private static final ProtocolMetrics METRICS = new GatewayMetrics("fuzz").protocol("http");

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void proxyHeader(byte[] data) {
        boolean source = data.length > 0 && (data[0] & 0x20) != 0;
        boolean required = data.length > 0 && (data[0] & 0x40) != 0;
        Chunked input = Chunked.of(data);
        ConnectionLimiter limiter = new ConnectionLimiter(100, 100, 64, METRICS, ip -> false);
        EmbeddedChannel channel = new EmbeddedChannel();
        Taker taker = new Taker();
        try {
            channel.pipeline().addLast(ProxyProtocolGate.NAME, new ProxyProtocolGate(source, required, limiter, METRICS));
            channel.pipeline().addLast(taker);
            for (int i = 0; i < input.chunks() && channel.isOpen(); i++) {
                byte[] bytes = input.chunk(i);
                ByteBuf chunk = ByteBufAllocator.DEFAULT.buffer(Math.max(1, bytes.length));
                chunk.writeBytes(bytes);
                channel.writeInbound(chunk);
            }
            channel.checkException();
            String what = FuzzSupport.hex(data);
            assertThat(taker.problems).as("problems for %s", what).isEmpty();
            if (!channel.isOpen()) {
                return;
            }
            byte[] payload = input.payload();
            byte[] passed = taker.bytes.toByteArray();
            InetSocketAddress announced = channel.attr(ClientAddress.ANNOUNCED).get();
            boolean headerTaken = channel.pipeline().get(ProxyProtocolGate.NAME) == null && passed.length < payload.length;
            if (announced != null) {
                assertThat(source).as("announced from a non-source for %s", what).isTrue();
                assertThat(announced.getPort()).isBetween(0, 65535);
                assertThat(announced.getAddress().getAddress().length).isIn(4, 16);
            }
            if (headerTaken || announced != null) {
                assertThat(source).as("a header passed from a non-source for %s", what).isTrue();
                assertThat(Arrays.equals(passed, 0, passed.length, payload, payload.length - passed.length, payload.length))
                        .as("bytes behind the header are the input's tail for %s", what).isTrue();
            } else {
                assertThat(Arrays.equals(passed, 0, passed.length, payload, 0, passed.length))
                        .as("bytes without a header are the input itself for %s", what).isTrue();
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    /** The handler behind the PROXY path: the first handler of the head reader's place. */
    private static final class Taker extends ChannelInboundHandlerAdapter {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<String> problems = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof ByteBuf b) {
                    byte[] copy = new byte[b.readableBytes()];
                    b.getBytes(b.readerIndex(), copy);
                    bytes.writeBytes(copy);
                } else {
                    problems.add("not bytes: " + msg.getClass().getName());
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            problems.add("exception: " + cause);
        }
    }
}

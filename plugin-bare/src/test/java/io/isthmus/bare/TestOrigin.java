package io.isthmus.bare;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;

/**
 * A real origin on loopback for Bare tests (Netty's HTTP server codec, no aggregation on HTTP paths):
 * {@code /echo} answers with the request it saw (raw header names, in order), {@code /status},
 * {@code /cache}, {@code /gzip}, {@code /long-header}, {@code /redirect}, {@code /big?bytes=N} (streamed
 * with back-pressure), {@code /chunked}, {@code /sink} (counts an upload) and {@code /ws} (a WebSocket
 * echo choosing the first offered of p1/p2/chat and greeting on connect). Counts accepted connections.
 */
final class TestOrigin implements AutoCloseable {

    static final byte[] GZIP_BODY = gzip("hello gzip world, compressed!");
    static final String LONG_VALUE = "x".repeat(5000);

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicLong sunk = new AtomicLong();
    final ConcurrentLinkedQueue<String> requests = new ConcurrentLinkedQueue<>();

    /** The server names (SNI) TLS clients asked for. */
    final ConcurrentLinkedQueue<String> serverNames = new ConcurrentLinkedQueue<>();

    TestOrigin() throws InterruptedException {
        this(null);
    }

    /** With {@code tls} (a JDK-provider server context) every connection is HTTPS. */
    TestOrigin(io.netty.handler.ssl.SslContext tls) throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted.incrementAndGet();
                        if (tls != null) {
                            // SniHandler records the name the client asked for, then installs the context.
                            ch.pipeline().addLast(new io.netty.handler.ssl.SniHandler((String name,
                                    io.netty.util.concurrent.Promise<io.netty.handler.ssl.SslContext> promise) -> {
                                if (name != null) {
                                    serverNames.add(name);
                                }
                                return promise.setSuccess(tls);
                            }));
                        }
                        ch.pipeline().addLast(new HttpServerCodec());
                        ch.pipeline().addLast(new Router());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    String base() {
        return "http://127.0.0.1:" + port();
    }

    @Override
    public void close() {
        server.close();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static byte[] gzip(String text) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                gz.write(text.getBytes(StandardCharsets.UTF_8));
            }
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Dispatches each request by path; WebSocket upgrades switch the pipeline to an echo. */
    private final class Router extends ChannelInboundHandlerAdapter {
        private HttpRequest request;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private long bodyBytes;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest r) {
                request = r;
                body.reset();
                bodyBytes = 0;
                StringBuilder raw = new StringBuilder(r.method() + " " + r.uri() + "\n");
                r.headers().forEach(h -> raw.append(h.getKey()).append(": ").append(h.getValue()).append('\n'));
                requests.add(raw.toString());
                if (r.uri().startsWith("/ws")) {
                    upgrade(ctx, r);
                    return;
                }
            }
            if (msg instanceof HttpContent c) {
                bodyBytes += c.content().readableBytes();
                if (!request.uri().startsWith("/sink") && body.size() < 1 << 20) {
                    byte[] b = new byte[c.content().readableBytes()];
                    c.content().readBytes(b);
                    body.write(b, 0, b.length);
                }
                c.release();
                if (c instanceof LastHttpContent) {
                    respond(ctx);
                }
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        private void upgrade(ChannelHandlerContext ctx, HttpRequest r) {
            var p = ctx.pipeline();
            p.addAfter(ctx.name(), "agg", new HttpObjectAggregator(65536));
            p.addAfter("agg", "ws", new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                    .websocketPath("/ws").subprotocols("p1,p2,chat").checkStartsWith(true).allowExtensions(false).build()));
            p.addAfter("ws", "echo", new WsEcho());
            p.remove(this);
            p.context("agg").fireChannelRead(r);
        }

        private void respond(ChannelHandlerContext ctx) {
            QueryStringDecoder q = new QueryStringDecoder(request.uri());
            String path = q.path();
            switch (path) {
                case "/echo" -> {
                    StringBuilder json = new StringBuilder("{\"method\":\"").append(request.method()).append("\",\"uri\":\"")
                            .append(request.uri()).append("\",\"headers\":[");
                    boolean first = true;
                    for (var h : request.headers()) {
                        json.append(first ? "" : ",").append("[\"").append(h.getKey()).append("\",\"")
                                .append(h.getValue().replace("\"", "\\\"")).append("\"]");
                        first = false;
                    }
                    json.append("],\"body\":\"").append(body.toString(StandardCharsets.ISO_8859_1)).append("\"}");
                    FullHttpResponse res = full(HttpResponseStatus.OK, json.toString());
                    res.headers().set("Content-Type", "application/json");
                    res.headers().add("Set-Cookie", "a=1");
                    res.headers().add("Set-Cookie", "b=2");
                    send(ctx, res);
                }
                case "/status" -> {
                    int code = Integer.parseInt(q.parameters().get("code").get(0));
                    String text = q.parameters().getOrDefault("text", List.of("Whatever")).get(0);
                    boolean noBody = code == 204 || code == 304;
                    FullHttpResponse res = full(new HttpResponseStatus(code, text), noBody ? "" : "status-body");
                    if (noBody) {
                        res.headers().remove("content-length");
                    }
                    send(ctx, res);
                }
                case "/cache" -> {
                    boolean match = "\"abc\"".equals(request.headers().get("if-none-match"));
                    FullHttpResponse res = full(match ? HttpResponseStatus.NOT_MODIFIED : HttpResponseStatus.OK,
                            match ? "" : "cached-body");
                    if (match) {
                        res.headers().remove("content-length");
                    }
                    res.headers().set("ETag", "\"abc\"");
                    res.headers().set("Cache-Control", "max-age=60");
                    res.headers().set("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT");
                    send(ctx, res);
                }
                case "/gzip" -> {
                    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                            Unpooled.wrappedBuffer(GZIP_BODY));
                    res.headers().set("Content-Encoding", "gzip");
                    res.headers().set("Content-Length", GZIP_BODY.length);
                    res.headers().set("Content-Type", "text/plain");
                    send(ctx, res);
                }
                case "/long-header" -> {
                    FullHttpResponse res = full(HttpResponseStatus.OK, "long");
                    res.headers().set("X-Long", LONG_VALUE);
                    send(ctx, res);
                }
                case "/redirect" -> {
                    FullHttpResponse res = full(HttpResponseStatus.FOUND, "moved");
                    res.headers().set("Location", "/echo");
                    send(ctx, res);
                }
                case "/chunked" -> {
                    DefaultHttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    res.headers().set("Transfer-Encoding", "chunked");
                    ctx.write(res);
                    ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer("part1-", StandardCharsets.US_ASCII)));
                    ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer("part2", StandardCharsets.US_ASCII)));
                    ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                }
                case "/sink" -> {
                    sunk.addAndGet(bodyBytes);
                    send(ctx, full(HttpResponseStatus.OK, Long.toString(bodyBytes)));
                }
                case "/hang" -> {
                    // Never answers: the gateway's response-head timeout must end it.
                }
                case "/big" -> new BigBody(Long.parseLong(q.parameters().get("bytes").get(0))).start(ctx);
                default -> send(ctx, full(HttpResponseStatus.NOT_FOUND, "no such path"));
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            BigBody big = ctx.channel().attr(BigBody.KEY).get();
            if (big != null && ctx.channel().isWritable()) {
                big.pump(ctx);
            }
            ctx.fireChannelWritabilityChanged();
        }
    }

    /** A large body written only while the connection is writable: a slow reader slows this origin. */
    private static final class BigBody {
        static final io.netty.util.AttributeKey<BigBody> KEY = io.netty.util.AttributeKey.valueOf("big");
        private static final byte[] BLOCK = new byte[64 * 1024];
        private long remaining;

        static {
            for (int i = 0; i < BLOCK.length; i++) {
                BLOCK[i] = (byte) (i * 31 + 7);
            }
        }

        BigBody(long total) {
            this.remaining = total;
        }

        void start(ChannelHandlerContext ctx) {
            DefaultHttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            res.headers().set("Content-Length", remaining);
            ctx.write(res);
            ctx.channel().attr(KEY).set(this);
            pump(ctx);
        }

        void pump(ChannelHandlerContext ctx) {
            while (remaining > 0 && ctx.channel().isWritable()) {
                int n = (int) Math.min(BLOCK.length, remaining);
                remaining -= n;
                ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(BLOCK, 0, n)));
            }
            if (remaining == 0) {
                ctx.channel().attr(KEY).set(null);
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            } else {
                ctx.flush();
            }
        }
    }

    private static FullHttpResponse full(HttpResponseStatus status, String body) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.ISO_8859_1));
        res.headers().set("Content-Length", res.content().readableBytes());
        return res;
    }

    private static void send(ChannelHandlerContext ctx, FullHttpResponse res) {
        ctx.writeAndFlush(res);
    }

    /** Greets on connect, then echoes every message with its type. */
    private static final class WsEcho extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                ctx.writeAndFlush(new TextWebSocketFrame("greeting"));
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame) {
                ctx.writeAndFlush(((WebSocketFrame) msg).retain());
            }
            ReferenceCountUtil.release(msg);
        }
    }


}

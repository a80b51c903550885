package io.isthmus.bare;

import io.isthmus.core.egress.EgressTarget;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Opens a WebSocket (or any HTTP/1.1 upgrade) to a remote through the egress dialer: TLS with SNI and
 * verification for wss, the upgrade request, the response head within the handshake timeout. On a 101,
 * {@link Listener#upgraded} runs while the HTTP codec is still in the pipeline, so the caller installs
 * what comes next (frame codec, endpoint) behind it; the codec then leaves, handing the bytes it read
 * past the head to those handlers. Anything else is a failure and closes the remote connection.
 */
final class RemoteUpgrade {

    private static final String CODEC = "bare-upgrade-codec";
    private static final String HANDLER = "bare-upgrade";

    /** What the caller does with the outcome; called once, on {@code loop}. */
    interface Listener {
        /** The remote switched protocols; install handlers behind {@code codec} (the codec leaves after). */
        void upgraded(Channel remote, HttpResponse response, String codec);

        /** No upgrade: refused by policy, unreachable, timed out, or answered with something else. */
        void failed(Throwable cause, HttpResponse response);
    }

    private RemoteUpgrade() {
    }

    static void open(BareServer server, RemoteRequest remote, List<String[]> headers, EventLoop loop, Listener listener) {
        long deadline = server.config().websocket().handshakeTimeout().toNanos();
        Future<Channel> dial = server.dialer().connect(new EgressTarget(remote.host(), remote.port()), server.policy(),
                loop, new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (remote.secure()) {
                            p.addLast("bare-tls", OriginPool.tlsHandler(server.tls(), ch.alloc(), remote,
                                    TimeUnit.NANOSECONDS.toMillis(deadline)));
                        }
                        p.addLast(CODEC, new HttpClientCodec());
                    }
                }, server.metrics().protocol());
        Step step = new Step(listener);
        ScheduledFuture<?> timer = loop.schedule(() -> {
            dial.cancel(false);
            step.fail(new java.net.SocketTimeoutException("remote WebSocket handshake timed out"), null);
        }, deadline, TimeUnit.NANOSECONDS);
        step.timer = timer;
        dial.addListener(f -> {
            if (!f.isSuccess()) {
                step.fail(f.cause(), null);
                return;
            }
            Channel ch = dial.getNow();
            if (step.done) {
                ch.close();
                return;
            }
            step.channel = ch;
            ch.pipeline().addLast(HANDLER, step);
            HttpHeaders h = DefaultHttpHeadersFactory.headersFactory().withValidation(false).newHeaders();
            for (String[] line : headers) {
                h.add(line[0], line[1]);
            }
            ch.writeAndFlush(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, remote.target(), h));
            ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            ch.config().setAutoRead(true);
        });
    }

    /** Waits for the response head and the end of its (empty) message. */
    private static final class Step extends ChannelInboundHandlerAdapter {
        private final Listener listener;
        private Channel channel;
        private ScheduledFuture<?> timer;
        private HttpResponse response;
        private boolean done;

        Step(Listener listener) {
            this.listener = listener;
        }

        void fail(Throwable cause, HttpResponse got) {
            if (done) {
                return;
            }
            done = true;
            timer.cancel(false);
            if (channel != null) {
                channel.close();
            }
            listener.failed(cause, got);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (done) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof HttpResponse r) {
                if (r.decoderResult().isFailure() || r.status().code() != 101) {
                    ReferenceCountUtil.release(msg);
                    fail(new IllegalStateException("remote answered " + r.status()), r);
                    return;
                }
                response = r;
            }
            if (msg instanceof LastHttpContent && response != null) {
                ReferenceCountUtil.release(msg);
                done = true;
                timer.cancel(false);
                ChannelPipeline p = ctx.pipeline();
                listener.upgraded(ctx.channel(), response, CODEC);
                p.remove(this);
                if (p.get(CODEC) != null) {
                    p.remove(CODEC);
                }
                return;
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail(new java.io.IOException("remote closed during the handshake"), null);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause, null);
        }
    }
}

package io.isthmus.core.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.core.metrics.GatewayMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code /metrics} (Prometheus text), {@code /healthz} and {@code /livez} (the process runs), {@code /readyz},
 * and the live status page: {@code /status} (HTML with its script and style, all served here: no external
 * asset) and {@code /status.json}.
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    /** The page's own files only: no inline script, no other origin, no framing. */
    private static final String PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STATUS_HTML = resource("status.html");
    private static final String STATUS_JS = resource("status.js");
    private static final String STATUS_CSS = resource("status.css");

    private final GatewayMetrics metrics;
    private final Readiness readiness;
    private final GatewayStatus status;

    AdminHandler(GatewayMetrics metrics, Readiness readiness, GatewayStatus status) {
        this.metrics = metrics;
        this.readiness = readiness;
        this.status = status;
    }

    private static String resource(String name) {
        try (InputStream in = AdminHandler.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String statusJson() {
        try {
            return JSON.writeValueAsString(status.report());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)) {
            reply(ctx, req, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain", "method not allowed\n");
            return;
        }
        String path = new QueryStringDecoder(req.uri()).path();
        switch (path) {
            case "/metrics" -> reply(ctx, req, HttpResponseStatus.OK, PROMETHEUS_TEXT, metrics.scrape());
            case "/healthz", "/livez" -> reply(ctx, req, HttpResponseStatus.OK, "text/plain", "ok\n");
            case "/readyz" -> reply(ctx, req, readiness.isReady() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "text/plain", readiness.state() + "\n");
            case "/status" -> reply(ctx, req, HttpResponseStatus.OK, "text/html; charset=utf-8", STATUS_HTML);
            case "/status.js" -> reply(ctx, req, HttpResponseStatus.OK, "text/javascript; charset=utf-8", STATUS_JS);
            case "/status.css" -> reply(ctx, req, HttpResponseStatus.OK, "text/css; charset=utf-8", STATUS_CSS);
            case "/status.json" -> reply(ctx, req, HttpResponseStatus.OK, "application/json", statusJson());
            default -> reply(ctx, req, HttpResponseStatus.NOT_FOUND, "text/plain", "not found\n");
        }
    }

    private static void reply(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status,
                              String contentType, String body) {
        ByteBuf content = ctx.alloc().buffer(body.length());
        content.writeCharSequence(body, StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(req.protocolVersion(), status, content);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        if (req.uri().startsWith("/status")) {
            // Live figures: never from a cache; the page's own files only.
            res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            res.headers().set(HttpHeaderNames.CONTENT_SECURITY_POLICY, PAGE_POLICY);
            res.headers().set("x-content-type-options", "nosniff");
        }
        HttpUtil.setContentLength(res, content.readableBytes());
        if (req.method().equals(HttpMethod.HEAD)) {
            res.content().clear();
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpUtil.setKeepAlive(res, keepAlive);
        var f = ctx.writeAndFlush(res);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}

package io.isthmus.core.frontdoor;

import io.isthmus.core.http.PlainResponses;
import io.isthmus.core.metrics.ProtocolMetrics;
import io.isthmus.core.router.Router;
import io.isthmus.core.spi.Handoff;
import io.isthmus.core.spi.Route;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks up the route for a parsed head, leaves the pipeline, and hands the connection to the plugin.
 * No route gets a plain 404, except an unclaimed {@code GET /}, which gets the {@link LandingPage} when it is on. A plugin that throws gets a 500 and the connection closes; other
 * connections never notice.
 */
@ChannelHandler.Sharable
final class RouterHandler extends ChannelInboundHandlerAdapter {

    static final String NAME = "isthmus-router";
    private static final Logger LOG = LoggerFactory.getLogger(RouterHandler.class);

    private final Router router;
    private final ProtocolMetrics metrics;
    private final ForwardedClient clients;
    private final ConnectionLimiter limiter;
    private final LandingPage landing;

    /** {@code landing} answers an unclaimed {@code GET /}; null turns the page off (404 like any other path). */
    RouterHandler(Router router, ProtocolMetrics metrics, ForwardedClient clients, ConnectionLimiter limiter, LandingPage landing) {
        this.router = router;
        this.metrics = metrics;
        this.clients = clients;
        this.limiter = limiter;
        this.landing = landing;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ParsedRequest request)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ctx.pipeline().remove(this);
        InetSocketAddress client = clients.resolve(ClientAddress.peer(ctx.channel()), request.head);
        ctx.channel().attr(ClientAddress.RESOLVED).set(client);
        // Behind a trusted proxy the per-IP cap can only count the client now that its head named it.
        if (!limiter.admit(ctx.channel(), client.getAddress())) {
            request.release();
            metrics.rejection("connection_limit_per_ip");
            PlainResponses.sendAndClose(ctx.channel(), HttpResponseStatus.TOO_MANY_REQUESTS, "Too many connections from this client");
            return;
        }
        Optional<Route> route = router.route(request.head);
        if (route.isEmpty()) {
            request.release();
            if (landing != null && LandingPage.answers(request.head)) {
                PlainResponses.sendAndClose(ctx.channel(), HttpResponseStatus.OK, landing.contentType(request.head),
                        landing.body(request.head), request.head.method().equals("HEAD"));
                return;
            }
            metrics.rejection("no_route");
            PlainResponses.sendAndClose(ctx.channel(), HttpResponseStatus.NOT_FOUND, "Not Found");
            return;
        }
        Handoff handoff = new Handoff(ctx.channel(), request.head, request.leftover, client);
        try {
            route.get().handler().handle(handoff);
        } catch (RuntimeException e) {
            LOG.warn("plugin {} failed on a new connection", route.get().protocol(), e);
            metrics.rejection("plugin_error");
            if (request.leftover.refCnt() > 0) {
                request.leftover.release();
            }
            PlainResponses.sendAndClose(ctx.channel(), HttpResponseStatus.INTERNAL_SERVER_ERROR, "Internal Server Error");
        }
    }
}

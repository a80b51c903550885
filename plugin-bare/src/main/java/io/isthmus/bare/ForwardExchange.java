package io.isthmus.bare;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isthmus.core.egress.EgressRefusal;
import io.isthmus.core.egress.EgressRefusedException;
import io.isthmus.core.drain.InFlight;
import io.isthmus.core.frontdoor.NextRequest;
import io.isthmus.core.http.LingeringClose;
import io.isthmus.core.http.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One Bare HTTP request forwarded to its origin and the origin's response forwarded back, both bodies
 * streamed as they arrive: a side stops being read while the other side's queue is above its high-water
 * mark, the splice engine's rule. Nothing is aggregated or decompressed, and a redirect is passed back
 * as any other response. Client and origin channel share one event loop, so no state here is shared
 * across threads. When both messages are complete, the origin connection goes back to the pool and the
 * client connection back to the front door for its next request (keep-alive).
 */
final class ForwardExchange {

    private static final String HANDLER = "bare-exchange";
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final BareServer server;
    private final Channel client;
    private final RequestHead head;
    private final RemoteRequest remote;
    private final RequestBody body;
    private final boolean clientKeepAlive;
    private final boolean headRequest;
    private final long startNanos = System.nanoTime();
    private final ClientSide clientSide = new ClientSide();
    private final OriginSide originSide = new OriginSide();

    /** Client bytes not yet forwarded (before the origin is ready, or while it is full). */
    private ByteBuf inbound;
    /** Client bytes behind this request's end: the next request, for the front door. */
    private ByteBuf pipelined;
    private OriginPool.Origin origin;
    private boolean retried;
    private boolean requestSent;
    private boolean requestDone;
    private long requestDoneNanos;
    private boolean skippingInformational;
    private boolean responseStarted;
    private boolean responseKeepAlive;
    private boolean bodyOut;
    private boolean chunkedOut;
    private boolean finished;
    private long lastActivityNanos = startNanos;
    private ScheduledFuture<?> timer;

    private InFlight.Ticket inFlight;

    ForwardExchange(BareServer server, Channel client, RequestHead head, RemoteRequest remote, RequestBody body) {
        this.server = server;
        this.client = client;
        this.head = head;
        this.remote = remote;
        this.body = body;
        this.clientKeepAlive = BareHandler.keepAlive(head);
        this.headRequest = head.method().equals("HEAD");
    }

    /** Takes over the client channel; {@code leftover} are the bytes read behind the request head. */
    void start(ByteBuf leftover) {
        // The gateway's drain waits for this exchange as for a splice; the ticket ends once the reply is out.
        inFlight = InFlight.begin(client);
        inbound = leftover;
        if (!body.done() && head.headerHasToken("expect", "100-continue")) {
            // Expect is not forwarded (the origin never sees it), so the gateway itself invites the body.
            client.writeAndFlush(BareResponses.bytes(client.alloc(), "HTTP/1.1 100 Continue\r\n\r\n"));
        }
        client.pipeline().addLast(HANDLER, clientSide);
        client.config().setAutoRead(false);
        schedule(server.config().upstream().idleTimeout().toNanos());
        connect(false);
    }

    private void connect(boolean fresh) {
        server.pool().acquire(remote, client.eventLoop(), fresh).addListener(f -> {
            if (!f.isSuccess()) {
                if (!finished) {
                    fail(errorFor(f.cause()));
                }
                return;
            }
            OriginPool.Origin o = (OriginPool.Origin) f.getNow();
            if (finished) {
                o.channel().close();
                return;
            }
            origin = o;
            o.channel().pipeline().addLast(HANDLER, originSide);
            sendRequest();
        });
    }

    private void sendRequest() {
        HttpHeaders headers = DefaultHttpHeadersFactory.headersFactory().withValidation(false).newHeaders();
        for (String[] h : remote.sendHeaders()) {
            headers.add(h[0], h[1]);
        }
        if (body.chunked()) {
            headers.set("transfer-encoding", "chunked");
        } else if (head.header("content-length") != null) {
            headers.set("content-length", head.header("content-length"));
        }
        Channel o = origin.channel();
        o.write(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(head.method()), remote.target(), headers));
        requestSent = true;
        forwardBody();
        o.flush();
        o.config().setAutoRead(true);
        if (!requestDone) {
            client.config().setAutoRead(o.isWritable());
        }
    }

    /** Moves what the client sent so far through the body's framing to the origin. */
    private void forwardBody() {
        if (inbound == null) {
            if (body.done()) {
                endRequest();
            }
            return;
        }
        try {
            ByteBuf piece;
            while (!body.done() && (piece = body.next(inbound)) != null) {
                server.metrics().uploaded(piece.readableBytes());
                origin.channel().write(new DefaultHttpContent(piece));
            }
        } catch (RuntimeException badFraming) {
            abort("bad_request_body");
            return;
        }
        if (body.done()) {
            endRequest();
            if (inbound.isReadable()) {
                addPipelined(inbound);
            } else {
                inbound.release();
            }
            inbound = null;
        } else if (!inbound.isReadable()) {
            inbound.release();
            inbound = null;
        }
    }

    private void endRequest() {
        if (!requestDone) {
            requestDone = true;
            requestDoneNanos = System.nanoTime();
            origin.channel().write(LastHttpContent.EMPTY_LAST_CONTENT);
            if (!responseStarted) {
                // From now on the clock is the response-head timeout.
                cancelTimer();
                schedule(server.config().upstream().responseHeadTimeout().toNanos());
            }
        }
    }

    private void addPipelined(ByteBuf data) {
        pipelined = pipelined == null ? data : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(client.alloc(), pipelined, data);
        client.config().setAutoRead(false);
    }

    private void responseHead(HttpResponse response) {
        responseStarted = true;
        if (requestDone) {
            // The head is in: from now on the clock is the idle timeout while the body streams.
            cancelTimer();
            schedule(server.config().upstream().idleTimeout().toNanos());
        }
        responseKeepAlive = HttpUtil.isKeepAlive(response);
        server.metrics().responseHead(System.nanoTime() - startNanos);
        int code = response.status().code();
        int status = remote.version() == 1 || !remote.passStatus().contains(code) ? 200 : code;
        boolean noBodyStatus = code == 101 || code == 204 || code == 205 || code == 304;
        bodyOut = !noBodyStatus && !headRequest;
        List<String[]> lines = new ArrayList<>();
        String length = null;
        for (String name : remote.passHeaders()) {
            List<String> values = response.headers().getAll(name);
            if (values.isEmpty() && remote.version() == 1 && name.equals("content-encoding")) {
                values = response.headers().getAll("x-content-encoding");
            }
            if (values.isEmpty()) {
                continue;
            }
            String value = String.join(", ", values);
            if (name.equals("content-length")) {
                length = value;
                continue;
            }
            lines.add(new String[] {name, value});
        }
        if (code != 304 || remote.version() == 1) {
            lines.add(new String[] {"x-bare-status", Integer.toString(code)});
            lines.add(new String[] {"x-bare-status-text", response.status().reasonPhrase()});
            String json = headersJson(response.headers());
            if (remote.version() == 1) {
                lines.add(new String[] {"x-bare-headers", json});
            } else {
                lines.addAll(SplitHeaders.split(json));
            }
        }
        boolean noBodyAllowed = status == 204 || status == 304;
        if (bodyOut) {
            if (length != null && !HttpUtil.isTransferEncodingChunked(response)) {
                lines.add(new String[] {"content-length", length});
            } else {
                chunkedOut = true;
                lines.add(new String[] {"transfer-encoding", "chunked"});
            }
        } else if (headRequest && length != null) {
            lines.add(new String[] {"content-length", length});
        } else if (!noBodyAllowed && !headRequest) {
            // The origin sent no body (a 204 or 304 turned into a 200): say so, or the client waits for one.
            lines.add(new String[] {"content-length", "0"});
        }
        StringBuilder text = BareResponses.head(status, BareResponses.reason(status), lines, clientKeepAlive);
        client.write(BareResponses.bytes(client.alloc(), text));
    }

    /** The remote's headers as JSON with their own capitalisation; a repeated name becomes an array. */
    private static String headersJson(HttpHeaders headers) {
        Map<String, List<String>> grouped = new LinkedHashMap<>();
        Map<String, String> firstSpelling = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : headers) {
            String lower = h.getKey().toLowerCase(Locale.ROOT);
            firstSpelling.putIfAbsent(lower, h.getKey());
            grouped.computeIfAbsent(lower, k -> new ArrayList<>()).add(h.getValue());
        }
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        for (Map.Entry<String, List<String>> e : grouped.entrySet()) {
            String name = firstSpelling.get(e.getKey());
            if (e.getValue().size() == 1) {
                json.put(name, e.getValue().get(0));
            } else {
                ArrayNode array = json.putArray(name);
                e.getValue().forEach(array::add);
            }
        }
        return BareJson.headerSafe(json);
    }

    private void responseBody(ByteBuf content) {
        int n = content.readableBytes();
        if (!bodyOut || n == 0) {
            content.release();
            return;
        }
        server.metrics().downloaded(n);
        if (chunkedOut) {
            client.write(BareResponses.bytes(client.alloc(), Integer.toHexString(n) + "\r\n"));
            client.write(content);
            client.write(client.alloc().buffer(2).writeBytes(CRLF));
        } else {
            client.write(content);
        }
    }

    private void responseComplete() {
        if (chunkedOut) {
            client.write(client.alloc().buffer(LAST_CHUNK.length).writeBytes(LAST_CHUNK));
        }
        finished = true;
        cancelTimer();
        server.metrics().request(remote.version(), "ok");
        Channel o = origin.channel();
        detach(o, originSide);
        if (requestDone && responseKeepAlive && o.isActive()) {
            server.pool().release(origin);
        } else {
            o.close();
        }
        handBackClient(requestDone);
    }

    /** The response is written: the client's next request goes to the front door, or the connection ends. */
    private void handBackClient(boolean requestRead) {
        InFlight.Ticket ticket = inFlight;
        client.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(f -> ticket.end());
        detach(client, clientSide);
        if (inbound != null) {
            inbound.release();
            inbound = null;
        }
        ByteBuf next = pipelined;
        pipelined = null;
        if (clientKeepAlive && requestRead && client.isActive()) {
            client.flush();
            NextRequest.read(client, next);
        } else {
            if (next != null) {
                next.release();
            }
            // A client may still be sending its body (the origin answered early): FIN, then discard its
            // input for a while, so that the response is not lost to a reset.
            LingeringClose.after(client.writeAndFlush(client.alloc().buffer(0)));
        }
    }

    /** Before the response started: answer with the Bare error. */
    private void fail(BareError error) {
        finished = true;
        cancelTimer();
        if (origin != null) {
            detach(origin.channel(), originSide);
            origin.channel().close();
        }
        server.metrics().request(remote.version(), error.outcome());
        // The connection can carry another request only when this one's body was read to its end.
        boolean read = requestDone || (!requestSent && inbound == null && body.done()) || bodyReadFully();
        BareResponses.error(client, error, clientKeepAlive && read);
        handBackClient(read);
    }

    private boolean bodyReadFully() {
        if (!body.done() && inbound != null) {
            ByteBuf piece;
            try {
                while (!body.done() && (piece = body.next(inbound)) != null) {
                    piece.release();
                }
            } catch (RuntimeException e) {
                return false;
            }
            if (body.done() && inbound.isReadable()) {
                addPipelined(inbound.retain());
            }
        }
        return body.done();
    }

    /** After the response started, or when the client is gone: both connections close. */
    private void abort(String outcome) {
        if (finished) {
            return;
        }
        inFlight.end();
        finished = true;
        cancelTimer();
        server.metrics().request(remote.version(), outcome);
        if (origin != null) {
            origin.channel().close();
        }
        if (inbound != null) {
            inbound.release();
            inbound = null;
        }
        if (pipelined != null) {
            pipelined.release();
            pipelined = null;
        }
        client.close();
    }

    private void originLost() {
        if (finished) {
            return;
        }
        if (!responseStarted) {
            boolean nothingSent = body instanceof RequestBody.Fixed && body.done() && inbound == null;
            if (origin.reused() && !retried && nothingSent) {
                // A kept-alive connection the origin closed just as we reused it: once more on a new one.
                retried = true;
                detach(origin.channel(), originSide);
                origin = null;
                requestSent = false;
                requestDone = false;
                connect(true);
                return;
            }
            fail(BareError.connectionReset());
            return;
        }
        abort("connection_reset");
    }

    private static void detach(Channel channel, io.netty.channel.ChannelHandler handler) {
        if (channel.pipeline().context(handler) != null) {
            channel.pipeline().remove(handler);
        }
    }

    private static BareError errorFor(Throwable cause) {
        if (cause instanceof EgressRefusedException refused) {
            EgressRefusal.Reason reason = refused.refusal().reason();
            return switch (reason) {
                case RESOLUTION_FAILED, NO_ADDRESS -> BareError.hostNotFound();
                case INVALID_TARGET -> BareError.invalid("request.headers.x-bare-url", refused.getMessage());
                default -> BareError.forbiddenRemote("Forbidden remote: " + refused.getMessage());
            };
        }
        if (cause instanceof ConnectTimeoutException || cause instanceof SocketTimeoutException) {
            return BareError.connectionTimeout();
        }
        if (cause instanceof ConnectException) {
            return BareError.connectionRefused();
        }
        if (cause instanceof OriginPool.TlsFailure) {
            return new BareError(502, "IMPL_TLS_FAILED", "response", "The remote's TLS handshake failed.");
        }
        return BareError.connectionReset();
    }

    private void schedule(long nanos) {
        timer = client.eventLoop().schedule(this::checkTime, nanos, TimeUnit.NANOSECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    /** Head timeout once the request is sent; idle timeout while either body streams. */
    private void checkTime() {
        if (finished) {
            return;
        }
        long now = System.nanoTime();
        if (requestDone && !responseStarted) {
            long left = server.config().upstream().responseHeadTimeout().toNanos() - (now - requestDoneNanos);
            if (left <= 0) {
                fail(BareError.connectionTimeout());
            } else {
                schedule(left);
            }
            return;
        }
        long left = server.config().upstream().idleTimeout().toNanos() - (now - lastActivityNanos);
        if (left > 0) {
            schedule(left);
        } else if (responseStarted) {
            abort("idle_timeout");
        } else if (origin == null) {
            fail(BareError.connectionTimeout());
        } else {
            abort("idle_timeout");
        }
    }

    /** The client's side: request body bytes in, writability gating the origin's reads. */
    private final class ClientSide extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf data) || finished) {
                ReferenceCountUtil.release(msg);
                return;
            }
            lastActivityNanos = System.nanoTime();
            if (requestDone || body.done()) {
                addPipelined(data);
                return;
            }
            inbound = inbound == null ? data : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), inbound, data);
            if (requestSent) {
                forwardBody();
                if (!finished && !requestDone && !origin.channel().isWritable()) {
                    client.config().setAutoRead(false);
                }
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (origin != null && !finished) {
                origin.channel().flush();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (!finished && origin != null && responseStarted && ctx.channel().isWritable()) {
                origin.channel().config().setAutoRead(true);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            abort("client_closed");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** The origin's side: the response in, writability gating the client's reads. */
    private final class OriginSide extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (finished) {
                ReferenceCountUtil.release(msg);
                return;
            }
            lastActivityNanos = System.nanoTime();
            if (msg instanceof HttpResponse response) {
                if (response.decoderResult().isFailure()) {
                    ReferenceCountUtil.release(msg);
                    ctx.close();
                    return;
                }
                int code = response.status().code();
                if (code >= 100 && code < 200 && code != 101) {
                    // An interim response (100 Continue, 103 Early Hints): the real one follows.
                    skippingInformational = true;
                } else {
                    responseHead(response);
                }
            }
            if (msg instanceof HttpContent content) {
                if (content.decoderResult().isFailure()) {
                    content.release();
                    ctx.close();
                    return;
                }
                boolean last = content instanceof LastHttpContent;
                if (skippingInformational) {
                    content.release();
                    skippingInformational = !last;
                    return;
                }
                responseBody(content.content());
                if (last) {
                    responseComplete();
                    return;
                }
                if (!client.isWritable()) {
                    ctx.channel().config().setAutoRead(false);
                }
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (!finished) {
                client.flush();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (!finished && !requestDone && ctx.channel().isWritable()) {
                client.config().setAutoRead(true);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            originLost();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}

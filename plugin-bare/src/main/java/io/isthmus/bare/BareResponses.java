package io.isthmus.bare;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isthmus.core.http.PlainResponses;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Bare's replies written as raw HTTP/1.1 bytes, each with the CORS headers every Bare response carries. */
final class BareResponses {

    /** BareServer.ts sets these on every response past the limiter, errors included (§A.1). */
    static final String CORS = "x-robots-tag: noindex\r\n"
            + "access-control-allow-headers: *\r\n"
            + "access-control-allow-origin: *\r\n"
            + "access-control-allow-methods: *\r\n"
            + "access-control-expose-headers: *\r\n"
            + "access-control-max-age: 7200\r\n";

    private BareResponses() {
    }

    /** A status line, CORS, the given header lines and the connection's fate, ending the head. */
    static StringBuilder head(int status, String reason, List<String[]> headers, boolean keepAlive) {
        StringBuilder s = new StringBuilder(256).append("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n")
                .append(CORS);
        for (String[] h : headers) {
            s.append(h[0]).append(": ").append(h[1]).append("\r\n");
        }
        if (!keepAlive) {
            s.append("connection: close\r\n");
        }
        return s.append("\r\n");
    }

    static String reason(int status) {
        return HttpResponseStatus.valueOf(status).reasonPhrase();
    }

    /** A whole response with a JSON or empty body. */
    static ChannelFuture write(Channel channel, int status, String contentType, String body, boolean keepAlive) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        List<String[]> headers = new java.util.ArrayList<>(2);
        if (contentType != null) {
            headers.add(new String[] {"content-type", contentType});
        }
        headers.add(new String[] {"content-length", Integer.toString(bytes.length)});
        String head = head(status, reason(status), headers, keepAlive).toString();
        ByteBuf buf = channel.alloc().buffer(head.length() + bytes.length);
        buf.writeCharSequence(head, StandardCharsets.ISO_8859_1);
        buf.writeBytes(bytes);
        return channel.writeAndFlush(buf);
    }

    static ChannelFuture error(Channel channel, BareError error, boolean keepAlive) {
        ObjectNode json = BareRequests.JSON.createObjectNode();
        json.put("code", error.code());
        json.put("id", error.id());
        json.put("message", error.message());
        return write(channel, error.status(), "application/json", json.toString(), keepAlive);
    }

    static ByteBuf bytes(ByteBufAllocator alloc, CharSequence head) {
        return PlainResponses.bytes(alloc, head.toString());
    }
}

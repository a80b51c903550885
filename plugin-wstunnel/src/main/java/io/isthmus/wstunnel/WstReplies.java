package io.isthmus.wstunnel;

import io.isthmus.core.http.LingeringClose;
import io.isthmus.core.http.PlainResponses;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.nio.charset.StandardCharsets;

/**
 * The Go server's plain answers, byte for byte as its {@code http.Error} writes them (websocktunnel.md §2):
 * {@code text/plain; charset=utf-8}, {@code X-Content-Type-Options: nosniff}, the text plus a newline.
 * The connection then ends with a lingering close.
 */
final class WstReplies {

    static final String BAD_REQUEST = "Bad Request";
    static final String NOT_FOUND = "404 page not found";
    static final String UNAUTHORIZED = "Unauthorized";
    static final String METHOD_NOT_ALLOWED = "Method Not Allowed";
    static final String NO_CLIENT = "No client is connected with that id";
    static final String INTERNAL = "Internal Server Error";
    static final String UNAVAILABLE = "Service Unavailable";

    private WstReplies() {
    }

    static ChannelFuture error(Channel channel, int status, String reason, String text, String extraHeader) {
        byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + reason + "\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "X-Content-Type-Options: nosniff\r\n"
                + (extraHeader == null ? "" : extraHeader + "\r\n")
                + "Content-Length: " + body.length + "\r\n"
                + "Connection: close\r\n\r\n";
        ChannelFuture written = PlainResponses.write(channel, head + new String(body, StandardCharsets.ISO_8859_1));
        LingeringClose.after(written);
        return written;
    }

    static ChannelFuture badRequest(Channel channel, String extraHeader) {
        return error(channel, 400, "Bad Request", BAD_REQUEST, extraHeader);
    }

    static ChannelFuture notFound(Channel channel) {
        return error(channel, 404, "Not Found", NOT_FOUND, null);
    }

    static ChannelFuture unauthorized(Channel channel) {
        return error(channel, 401, "Unauthorized", UNAUTHORIZED, null);
    }

    static ChannelFuture methodNotAllowed(Channel channel) {
        return error(channel, 405, "Method Not Allowed", METHOD_NOT_ALLOWED, null);
    }

    static ChannelFuture noClient(Channel channel) {
        return error(channel, 504, "Gateway Timeout", NO_CLIENT, null);
    }

    static ChannelFuture internal(Channel channel) {
        return error(channel, 500, "Internal Server Error", INTERNAL, null);
    }

    static ChannelFuture unavailable(Channel channel) {
        return error(channel, 503, "Service Unavailable", UNAVAILABLE, null);
    }

    /** Dockerflow's heartbeat: 200 with an empty body. */
    static ChannelFuture ok(Channel channel) {
        ChannelFuture written = PlainResponses.write(channel, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        LingeringClose.after(written);
        return written;
    }
}

package io.isthmus.core.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/**
 * Short HTTP/1.1 replies written as raw bytes, for connections whose pipeline holds no HTTP encoder
 * (the front door, and plugins that answer before or instead of a handshake).
 */
public final class PlainResponses {

    private PlainResponses() {
    }

    /**
     * A text/plain reply with {@code Connection: close}; the connection then ends with a lingering close,
     * so that a client still sending does not lose the reply to a reset.
     */
    public static ChannelFuture sendAndClose(Channel channel, HttpResponseStatus status, String body) {
        return sendAndClose(channel, status, "text/plain; charset=utf-8", body.endsWith("\n") ? body : body + "\n", false);
    }

    /**
     * A reply of {@code contentType} (the body in UTF-8) with {@code Connection: close}, then a lingering
     * close; {@code headOnly} (a HEAD request) sends the head alone, with the body's length.
     */
    public static ChannelFuture sendAndClose(Channel channel, HttpResponseStatus status, String contentType, String body,
            boolean headOnly) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status.code() + " " + status.reasonPhrase() + "\r\n"
                + "Content-Type: " + contentType + "\r\n"
                + "Content-Length: " + bytes.length + "\r\n"
                + "Connection: close\r\n\r\n";
        ByteBuf reply = bytes(channel.alloc(), head);
        if (!headOnly) {
            reply.writeBytes(bytes);
        }
        ChannelFuture written = channel.writeAndFlush(reply);
        LingeringClose.after(written);
        return written;
    }

    /** Writes exactly {@code raw} (ISO-8859-1), then closes once it is flushed. */
    public static ChannelFuture writeAndClose(Channel channel, String raw) {
        return write(channel, raw).addListener(ChannelFutureListener.CLOSE);
    }

    /** Writes exactly {@code raw} (ISO-8859-1) and flushes. */
    public static ChannelFuture write(Channel channel, String raw) {
        return channel.writeAndFlush(bytes(channel.alloc(), raw));
    }

    public static ByteBuf bytes(ByteBufAllocator alloc, String raw) {
        ByteBuf buf = alloc.buffer(raw.length());
        buf.writeCharSequence(raw, StandardCharsets.ISO_8859_1);
        return buf;
    }
}

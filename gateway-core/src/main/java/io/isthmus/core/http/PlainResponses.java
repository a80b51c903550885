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
        String text = body.endsWith("\n") ? body : body + "\n";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status.code() + " " + status.reasonPhrase() + "\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: " + bytes.length + "\r\n"
                + "Connection: close\r\n\r\n";
        ChannelFuture written = write(channel, head + text);
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

package io.isthmus.rawsocket.bridge;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;

/**
 * Emscripten's SOCKFS sends, as the first message of a UDP socket's WebSocket, a 10-byte announcement of
 * the port it is bound to: {@code FF FF FF FF 'p' 'o' 'r' 't' <port hi> <port lo>} (rawsocket-browser.md §3,
 * libsockfs.js). It is not a datagram of the program's; it is consumed here, and this handler leaves the
 * pipeline after the first message either way.
 */
public final class EmscriptenPortMessage extends ChannelInboundHandlerAdapter {

    private static final byte[] MAGIC = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 'p', 'o', 'r', 't'};
    public static final int LENGTH = MAGIC.length + 2;

    private final Runnable onConsumed;

    public EmscriptenPortMessage(Runnable onConsumed) {
        this.onConsumed = onConsumed;
    }

    /** Whether {@code data} is a port announcement. */
    public static boolean matches(ByteBuf data) {
        if (data.readableBytes() != LENGTH) {
            return false;
        }
        int at = data.readerIndex();
        for (int i = 0; i < MAGIC.length; i++) {
            if (data.getByte(at + i) != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof BinaryWebSocketFrame frame) {
            ctx.pipeline().remove(this);
            if (matches(frame.content())) {
                frame.release();
                onConsumed.run();
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }
}

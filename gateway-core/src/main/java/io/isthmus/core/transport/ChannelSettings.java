package io.isthmus.core.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.RecvByteBufAllocator;

/**
 * What every channel the gateway opens shares: the one buffer allocator, and the read sizes of TCP
 * channels (Netty's adaptive guess, kept between {@code isthmus.splice.*-read-size}). Bootstraps get both
 * from here, so that an accepted client and a dialed server of one splice are configured alike. One read
 * size allocator serves every channel: the guess itself lives in a handle Netty makes per channel.
 */
public final class ChannelSettings {

    private final ByteBufAllocator allocator;
    private final int maxReadSize;
    private final RecvByteBufAllocator readSizes;

    public ChannelSettings(ByteBufAllocator allocator, int minReadSize, int initialReadSize, int maxReadSize) {
        this.allocator = allocator;
        this.maxReadSize = maxReadSize;
        // Also fails at start-up, not on the first connection, when the sizes do not fit together.
        this.readSizes = new AdaptiveRecvByteBufAllocator(minReadSize, initialReadSize, maxReadSize);
    }

    /** Netty's defaults: its default allocator, reads of 64 B to 64 KiB starting at 2 KiB. */
    public static ChannelSettings nettyDefaults() {
        return new ChannelSettings(ByteBufAllocator.DEFAULT, 64, 2048, 65536);
    }

    public ByteBufAllocator allocator() {
        return allocator;
    }

    public int maxReadSize() {
        return maxReadSize;
    }

    /** The read sizes every TCP channel uses. */
    public RecvByteBufAllocator readSizes() {
        return readSizes;
    }

    /** For an outbound channel. */
    public Bootstrap applyTo(Bootstrap bootstrap) {
        return bootstrap.option(ChannelOption.ALLOCATOR, allocator)
                .option(ChannelOption.RECVBUF_ALLOCATOR, readSizes);
    }

    /** For a listener whose accepted channels are TCP connections. */
    public ServerBootstrap applyTo(ServerBootstrap bootstrap) {
        return bootstrap.option(ChannelOption.ALLOCATOR, allocator)
                .childOption(ChannelOption.ALLOCATOR, allocator)
                .childOption(ChannelOption.RECVBUF_ALLOCATOR, readSizes);
    }
}

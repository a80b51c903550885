package io.isthmus.core.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;

/**
 * What every channel the gateway opens shares: the one buffer allocator, and the read sizes of TCP
 * channels (a fresh {@link ReadBufferAllocator} per channel). Bootstraps get both from here, so that an
 * accepted client and a dialed server of one splice are configured alike.
 */
public final class ChannelSettings {

    private final ByteBufAllocator allocator;
    private final int minReadSize;
    private final int initialReadSize;
    private final int maxReadSize;

    public ChannelSettings(ByteBufAllocator allocator, int minReadSize, int initialReadSize, int maxReadSize) {
        this.allocator = allocator;
        this.minReadSize = minReadSize;
        this.initialReadSize = initialReadSize;
        this.maxReadSize = maxReadSize;
        // Fail at start-up, not on the first connection.
        newReadAllocator();
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

    public ReadBufferAllocator newReadAllocator() {
        return new ReadBufferAllocator(minReadSize, initialReadSize, maxReadSize);
    }

    /** For an outbound channel; call once per connection attempt (the read allocator is per channel). */
    public Bootstrap applyTo(Bootstrap bootstrap) {
        return bootstrap.option(ChannelOption.ALLOCATOR, allocator)
                .option(ChannelOption.RECVBUF_ALLOCATOR, newReadAllocator());
    }

    /** For a listener whose accepted channels are TCP connections; pair it with {@link #perConnection}. */
    public ServerBootstrap applyTo(ServerBootstrap bootstrap) {
        return bootstrap.option(ChannelOption.ALLOCATOR, allocator)
                .childOption(ChannelOption.ALLOCATOR, allocator);
    }

    /**
     * Wraps an accepted channel's initializer so that each connection gets its own read allocator before
     * its first read (a child option would share one instance among all connections).
     */
    public ChannelHandler perConnection(ChannelHandler initializer) {
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.config().setRecvByteBufAllocator(newReadAllocator());
                ch.pipeline().addLast(initializer);
            }
        };
    }
}

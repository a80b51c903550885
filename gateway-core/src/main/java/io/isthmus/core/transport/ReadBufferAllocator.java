package io.isthmus.core.transport;

import io.netty.channel.AdaptiveRecvByteBufAllocator;

/**
 * How much a gateway TCP channel reads at a time: Netty's adaptive guess, kept between a configured
 * minimum and maximum ({@code isthmus.splice.*-read-size}).
 */
public final class ReadBufferAllocator extends AdaptiveRecvByteBufAllocator {

    public ReadBufferAllocator(int minimum, int initial, int maximum) {
        super(minimum, initial, maximum);
    }
}

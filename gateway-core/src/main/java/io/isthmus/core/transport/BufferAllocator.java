package io.isthmus.core.transport;

import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.Locale;

/**
 * The one {@link ByteBufAllocator} of every gateway channel ({@code isthmus.allocator}). Netty reads
 * {@code io.netty.allocator.type} once, when its allocator class initialises, which is too early for a
 * config file; so the gateway sets the chosen instance on every bootstrap instead, and exports its memory.
 */
public enum BufferAllocator {
    /** Netty 4.2's default: size-classed magazines per thread, no arenas to tune. */
    ADAPTIVE,
    /** Netty 4.1's default (jemalloc-like arenas); the migration guide's fallback if adaptive misbehaves. */
    POOLED,
    /** No pooling: every buffer is a fresh allocation. For debugging only. */
    UNPOOLED;

    /** Parses {@code adaptive}, {@code pooled} or {@code unpooled}. */
    public static BufferAllocator named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "adaptive" -> ADAPTIVE;
            case "pooled" -> POOLED;
            case "unpooled" -> UNPOOLED;
            default -> throw new IllegalArgumentException("unknown allocator " + name + " (adaptive, pooled, unpooled)");
        };
    }

    /** The JVM-wide instance: the same one however many gateways a process starts (tests start many). */
    public ByteBufAllocator instance() {
        return switch (this) {
            // Reuse Netty's own default when it is already adaptive, so that the few buffers Netty takes from
            // ByteBufAllocator.DEFAULT by itself come from the same magazines.
            case ADAPTIVE -> ByteBufAllocator.DEFAULT instanceof AdaptiveByteBufAllocator shared ? shared : Adaptive.INSTANCE;
            case POOLED -> PooledByteBufAllocator.DEFAULT;
            case UNPOOLED -> UnpooledByteBufAllocator.DEFAULT;
        };
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Created only when asked for: a second set of magazines costs memory. */
    private static final class Adaptive {
        static final ByteBufAllocator INSTANCE = new AdaptiveByteBufAllocator();
    }
}

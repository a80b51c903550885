package io.isthmus.core.overload;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.internal.PlatformDependent;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;

/**
 * Reads the JVM's memory.
 *
 * <p><b>Heap</b>: what the heap held after the last garbage collection (the heap pools' collection usage),
 * not the live "used" figure, which includes garbage not yet collected: with G1 the young generation alone
 * fills up to 60% of the heap between collections, so "used" crosses any sensible threshold on an idle
 * gateway. If the heap grew since that collection by less than the garbage it held, the current figure is
 * lower and wins. Before the first collection only the current figure exists. The limit is {@code -Xmx}.
 *
 * <p><b>Direct</b>: the largest of Netty's own direct-memory counter (when Netty counts), the JDK's
 * {@code direct} buffer pool (what {@code ByteBuffer.allocateDirect} holds; Netty's buffers with cleaners
 * land there) and the gateway allocator's direct memory (its pooled chunks, used or not). The limit is
 * Netty's {@code maxDirectMemory} (by default {@code -XX:MaxDirectMemorySize}, i.e. {@code -Xmx}).
 */
public final class JvmMemoryProbe implements MemoryProbe {

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP).toList();
    private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
    private final BufferPoolMXBean directPool = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
            .filter(p -> p.getName().equals("direct")).findFirst().orElse(null);
    private final ByteBufAllocator allocator;

    /** @param allocator the gateway's one allocator, whose direct arenas count as used direct memory */
    public JvmMemoryProbe(ByteBufAllocator allocator) {
        this.allocator = allocator;
    }

    @Override
    public MemoryReading read() {
        MemoryUsage heap = memory.getHeapMemoryUsage();
        long max = heap.getMax() > 0 ? heap.getMax() : heap.getCommitted();
        long used = heap.getUsed();
        long afterGc = afterLastCollection();
        long heapUsed = afterGc >= 0 ? Math.min(used, afterGc) : used;
        return new MemoryReading(heapUsed, max, directUsed(), PlatformDependent.maxDirectMemory());
    }

    /** The heap pools' usage after their last collection, or -1 before any collection. */
    private long afterLastCollection() {
        boolean collected = false;
        for (GarbageCollectorMXBean gc : collectors) {
            collected |= gc.getCollectionCount() > 0;
        }
        if (!collected) {
            return -1;
        }
        long sum = 0;
        for (MemoryPoolMXBean pool : heapPools) {
            MemoryUsage u = pool.getCollectionUsage();
            if (u != null) {
                sum += u.getUsed();
            }
        }
        return sum;
    }

    private long directUsed() {
        long used = PlatformDependent.usedDirectMemory();
        if (directPool != null) {
            used = Math.max(used, directPool.getMemoryUsed());
        }
        if (allocator instanceof ByteBufAllocatorMetricProvider p) {
            used = Math.max(used, p.metric().usedDirectMemory());
        }
        return Math.max(0, used);
    }
}

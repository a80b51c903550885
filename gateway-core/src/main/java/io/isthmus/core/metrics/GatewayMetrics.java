package io.isthmus.core.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one Prometheus registry, with JVM, process and Netty allocator meters (for the allocator every
 * gateway channel uses), and a {@link ProtocolMetrics} per protocol.
 */
public final class GatewayMetrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ConcurrentMap<String, ProtocolMetrics> protocols = new ConcurrentHashMap<>();
    private final JvmGcMetrics gcMetrics = new JvmGcMetrics();
    private final AtomicInteger draining = new AtomicInteger();
    private final Counter drainAborted;

    /** With Netty's default allocator's memory (tests and tools that build no channels of their own). */
    public GatewayMetrics(String version) {
        this(version, ByteBufAllocator.DEFAULT);
    }

    /** With {@code allocator}'s memory: the instance the gateway sets on every bootstrap. */
    public GatewayMetrics(String version, ByteBufAllocator allocator) {
        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        Gauge.builder("isthmus.build.info", () -> 1).tag("version", version)
                .description("Always 1; the version label says what runs").register(registry);
        // Both exist from the start, so alert rules over them always find a series.
        registry.gauge("isthmus.draining", draining);
        drainAborted = Counter.builder("isthmus.drain.aborted")
                .description("Links still open at the drain deadline, closed by the gateway").register(registry);
        if (allocator instanceof ByteBufAllocatorMetricProvider provider) {
            new NettyAllocatorMetrics(provider).bindTo(registry);
        }
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public ProtocolMetrics protocol(String name) {
        return protocols.computeIfAbsent(name, n -> new ProtocolMetrics(registry, n));
    }

    /** The protocols that have meters, in no particular order. */
    public java.util.Set<String> protocols() {
        return java.util.Set.copyOf(protocols.keySet());
    }

    /** {@code isthmus_draining} turns 1: the gateway has begun its drain (SIGTERM) and takes no new connections. */
    public void draining() {
        draining.set(1);
    }

    /** {@code links} were still open at the drain deadline and are being closed. */
    public void drainAborted(int links) {
        drainAborted.increment(links);
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        gcMetrics.close();
        registry.close();
    }
}

package io.isthmus.core;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Stage;
import com.typesafe.config.Config;
import io.isthmus.core.admin.AdminServer;
import io.isthmus.core.admin.Readiness;
import io.isthmus.core.config.GatewayConfig;
import io.isthmus.core.config.HostPort;
import io.isthmus.core.drain.InFlight;
import io.isthmus.core.egress.EgressDialer;
import io.isthmus.core.frontdoor.FrontDoorInitializer;
import io.isthmus.core.frontdoor.PublicListeners;
import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.overload.Admission;
import io.isthmus.core.overload.JvmMemoryProbe;
import io.isthmus.core.overload.MemoryGuard;
import io.isthmus.core.reload.ConfigReloader;
import io.isthmus.core.reload.Reloadable;
import io.isthmus.core.reload.ReloadableTls;
import io.isthmus.core.router.Router;
import io.isthmus.core.spi.PluginService;
import io.isthmus.core.spi.Route;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.core.transport.BufferAllocator;
import io.isthmus.core.transport.ChannelSettings;
import io.isthmus.core.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: the public port, the admin port, the plugins. {@link #start} validates the whole
 * config before binding anything; {@link #shutdown} drains: readiness false, the listener closed, live
 * splices given the drain deadline, then everything closed.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

    private final GatewayConfig config;
    private final Injector injector;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final PublicListeners listener;
    private final AdminServer admin;
    private final ChannelGroup connections;
    private final SpliceEngine splices;
    private final GatewayMetrics metrics;
    private final Readiness readiness;
    private final List<PluginService> services;
    private final EgressDialer dialer;
    private final MemoryGuard memoryGuard;
    private final ConfigReloader reloader;
    private final InFlight inFlight;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile boolean stopping;

    private Gateway(GatewayConfig config, Injector injector, EventLoopGroup acceptors, EventLoopGroup workers,
                    PublicListeners listener, AdminServer admin, ChannelGroup connections, SpliceEngine splices,
                    GatewayMetrics metrics, Readiness readiness, List<PluginService> services, EgressDialer dialer,
                    MemoryGuard memoryGuard, ConfigReloader reloader, InFlight inFlight) {
        this.config = config;
        this.injector = injector;
        this.acceptors = acceptors;
        this.workers = workers;
        this.listener = listener;
        this.admin = admin;
        this.connections = connections;
        this.splices = splices;
        this.metrics = metrics;
        this.readiness = readiness;
        this.services = services;
        this.dialer = dialer;
        this.memoryGuard = memoryGuard;
        this.reloader = reloader;
        this.inFlight = inFlight;
    }

    /** Validates {@code root}, starts every enabled plugin and binds the ports. */
    public static Gateway start(Config root) throws InterruptedException {
        ValidatedConfig validated = ValidatedConfig.of(root);
        GatewayConfig config = validated.core();
        LoggingSetup.apply(config.logging());
        Transport transport = Transport.select(config.transport());
        ChannelSettings channels = channelSettings(config);
        GatewayMetrics metrics = new GatewayMetrics(BuildInfo.version(), channels.allocator());
        Readiness readiness = new Readiness();
        int threads = config.eventLoopThreads() == 0 ? Runtime.getRuntime().availableProcessors() : config.eventLoopThreads();
        EventLoopGroup acceptors = transport.newGroup(1,
                new DefaultThreadFactory(config.acceptOnIoThreads() ? "isthmus-admin" : "isthmus-accept"));
        EventLoopGroup workers = transport.newGroup(threads, new DefaultThreadFactory("isthmus-io"));
        EgressDialer dialer = new EgressDialer(transport, workers, config.egress(), channels);
        MemoryGuard memoryGuard = new MemoryGuard(config.limits().memory(), new JvmMemoryProbe(channels.allocator()),
                metrics.registry());
        readiness.notReadyWhile(memoryGuard::underPressure);
        try {
            SpliceEngine splices = new SpliceEngine(config.splice(), metrics, config.logging().accessLog());
            Injector core = Guice.createInjector(Stage.PRODUCTION,
                    new CoreModule(root, config, metrics, splices, transport, channels, workers, readiness, dialer, memoryGuard));
            List<PluginCatalog.Started> plugins = validated.plugins().start(core);
            List<Route> routes = new ArrayList<>();
            List<PluginService> services = new ArrayList<>();
            ReloadableTls tls = new ReloadableTls(config.tls());
            List<Reloadable> reloadables = new ArrayList<>(List.of(tls));
            for (PluginCatalog.Started p : plugins) {
                routes.addAll(p.routes());
                services.addAll(p.services());
                reloadables.addAll(p.reloadables());
            }
            Router router = new Router(routes);
            InFlight inFlight = new InFlight();
            ChannelGroup connections = new DefaultChannelGroup("isthmus-connections", GlobalEventExecutor.INSTANCE);
            FrontDoorInitializer frontDoor = new FrontDoorInitializer(config, router, metrics.protocol("http"), connections, tls);
            Function<EventLoopGroup, ServerBootstrap> bootstrap = accepting -> channels.applyTo(new ServerBootstrap())
                    // A single loop accepts onto itself; a group (the workers or the accept thread) hands off to the workers.
                    .group(accepting, accepting instanceof EventLoop ? accepting : workers)
                    .channel(transport.serverChannel())
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    // No per-connection socket options: TCP_NODELAY is already Netty's default for accepted
                    // sockets, and TCP keepalive (first probe after 2 h on Linux) would never fire before the
                    // splice idle timeout (1 h) closes a dead link; each option costs a setsockopt per connection.
                    // Every accepted connection carries the memory guard: plugins ask it before admitting new work.
                    .childAttr(Admission.KEY, memoryGuard)
                    // ... and the drain's count of exchanges in flight that are not splices (Bare's HTTP).
                    .childAttr(InFlight.KEY, inFlight)
                    .childHandler(frontDoor);
            InetSocketAddress address = HostPort.parse(config.listen()).toSocketAddress();
            PublicListeners listener;
            try {
                // Each I/O loop accepts its own connections where the transport has SO_REUSEPORT; with one
                // loop, or on NIO, one socket on a loop hands connections to the others.
                if (config.acceptOnIoThreads() && threads > 1 && transport != Transport.NIO) {
                    listener = PublicListeners.perLoop(workers, bootstrap, address);
                } else {
                    listener = PublicListeners.single(bootstrap.apply(config.acceptOnIoThreads() ? workers : acceptors), address);
                }
            } catch (PublicListeners.BindFailed e) {
                throw new ListenFailure("isthmus.listen", config.listen(), e.getCause());
            }
            AdminServer admin = null;
            if (config.admin().enabled()) {
                try {
                    admin = AdminServer.bind(HostPort.parse(config.admin().listen()).toSocketAddress(), transport, acceptors,
                            channels.allocator(), metrics, readiness, splices, config.admin().topTalkers());
                } catch (RuntimeException e) {
                    listener.close();
                    throw new ListenFailure("isthmus.admin.listen", config.admin().listen(), e);
                }
            }
            Gateway gateway = new Gateway(config, core, acceptors, workers, listener, admin, connections, splices,
                    metrics, readiness, services, dialer, memoryGuard, new ConfigReloader(reloadables, metrics.registry(), root),
                    inFlight);
            memoryGuard.start(acceptors.next());
            services.forEach(PluginService::start);
            readiness.ready();
            LOG.info("Isthmus {} listening on {} ({}, {} accepting socket{}), admin on {}, plugins: {}", BuildInfo.version(),
                    gateway.address(), transport.name().toLowerCase(java.util.Locale.ROOT), listener.count(),
                    listener.count() == 1 ? "" : "s",
                    admin == null ? "off" : admin.address(),
                    plugins.stream().map(p -> p.entry().name()).toList());
            return gateway;
        } catch (RuntimeException e) {
            dialer.close();
            acceptors.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            metrics.close();
            throw e;
        }
    }

    /** The gateway could not bind one of its ports. */
    public static final class ListenFailure extends RuntimeException {
        ListenFailure(String key, String address, Throwable cause) {
            super("cannot listen on " + address + " (" + key + "): "
                    + (cause == null || cause.getMessage() == null ? "bind failed" : cause.getMessage()), cause);
        }
    }

    private static ChannelSettings channelSettings(GatewayConfig config) {
        BufferAllocator allocator = BufferAllocator.named(config.allocator());
        GatewayConfig.SpliceConfig splice = config.splice();
        LOG.info("buffer allocator {}, reads of {} to {} bytes", allocator.configName(),
                splice.minReadSize().bytes(), splice.maxReadSize().bytes());
        return new ChannelSettings(allocator.instance(), splice.minReadSize().toIntBytes(),
                splice.initialReadSize().toIntBytes(), splice.maxReadSize().toIntBytes());
    }

    /** The buffer allocator and read sizes every channel of this gateway uses. */
    public ChannelSettings channels() {
        return injector.getInstance(ChannelSettings.class);
    }

    public InetSocketAddress address() {
        return listener.localAddress();
    }

    /** How many sockets accept on the public port: one, or one per I/O loop. */
    public int listeningSockets() {
        return listener.count();
    }

    /** The admin listener's address, or null when it is off. */
    public InetSocketAddress adminAddress() {
        return admin == null ? null : admin.address();
    }

    public GatewayConfig config() {
        return config;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    public SpliceEngine splices() {
        return splices;
    }

    /**
     * Enables hot reload from {@code source} (e.g. {@code () -> ConfigLoader.load(file)}); {@code file} (may be
     * null) is watched when {@code isthmus.reload.watch} is on. SIGHUP is the caller's to wire
     * ({@link io.isthmus.core.reload.HangupSignal}).
     */
    public ConfigReloader enableReload(java.util.function.Supplier<Config> source, java.nio.file.Path file) {
        reloader.source(source, file);
        if (config.reload().watch()) {
            reloader.watch(config.reload().watchInterval());
        }
        return reloader;
    }

    /** The hot-reload machinery: {@code reload(trigger)} reloads now. */
    public ConfigReloader reloader() {
        return reloader;
    }

    /** The memory-overload guard every accepted connection asks before new work (tests may force its reading). */
    public MemoryGuard memoryGuard() {
        return memoryGuard;
    }

    public Injector injector() {
        return injector;
    }

    public boolean isReady() {
        return readiness.isReady();
    }

    /** Drains with the configured deadline, then stops. */
    public void shutdown() {
        shutdown(config.shutdown().drainTimeout());
    }

    /** Stops taking connections, gives live splices up to {@code drainTimeout}, then closes everything. */
    public synchronized void shutdown(Duration drainTimeout) {
        if (stopping) {
            return;
        }
        stopping = true;
        readiness.draining();
        metrics.draining();
        inFlight.drain();
        listener.close();
        services.forEach(PluginService::drain);
        LOG.info("draining {} live splices and {} exchanges for up to {}s", splices.liveCount(), inFlight.count(),
                drainTimeout.toSeconds());
        long deadline = System.nanoTime() + drainTimeout.toNanos();
        // The drain deadline is wall time by design; polling a counter every few ms costs nothing here.
        while ((splices.liveCount() > 0 || inFlight.count() > 0) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        metrics.drainAborted(splices.liveCount() + inFlight.count());
        splices.abortAll();
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        services.forEach(PluginService::stop);
        memoryGuard.stop();
        reloader.close();
        dialer.close();
        if (admin != null) {
            admin.close();
        }
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        acceptors.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        metrics.close();
        LOG.info("stopped");
        terminated.countDown();
    }

    /** Blocks until {@link #shutdown} has finished. */
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    /** Stops at once, without a drain (tests, failed start-up). */
    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}

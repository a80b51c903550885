package io.isthmus.core.egress;

import io.isthmus.core.metrics.ProtocolMetrics;
import io.isthmus.core.transport.ChannelSettings;
import io.isthmus.core.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.HostsFileEntriesResolver;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The one way a plugin opens an outbound connection (DESIGN.md, "Egress dialer"): judge the target, resolve
 * a name once with Netty's non-blocking resolver (A and AAAA, hosts file first), refuse if <em>any</em>
 * resolved address is refused — the answer to DNS rebinding that bare-server-node also gives — and connect
 * to a checked address, never to the name, so that nothing resolves it a second time.
 *
 * <p>The new channel is registered on the caller's event loop (both sides of a splice then share a
 * thread), with {@code AUTO_READ} off — the caller turns reading on when it has wired the channel in — and
 * {@code TCP_NODELAY} on, since a relay must not add Nagle delay to a client's small writes. If a
 * connection to one checked address fails quickly, the next is tried; all attempts together get the
 * configured {@code connect-timeout}.
 */
public final class EgressDialer implements AutoCloseable {

    private final Transport transport;
    private final EventLoopGroup group;
    private final ChannelSettings channels;
    private final long connectTimeoutNanos;
    private final DnsAddressResolverGroup resolvers;

    public EgressDialer(Transport transport, EventLoopGroup group, EgressConfig config) {
        this(transport, group, config, ChannelSettings.nettyDefaults());
    }

    /** With the gateway's channel settings (allocator, read sizes) on every dialed channel. */
    public EgressDialer(Transport transport, EventLoopGroup group, EgressConfig config, ChannelSettings channels) {
        this(transport, group, config, channels, DnsServerAddressStreamProviders.platformDefault());
    }

    /** With explicit name servers: tests answer DNS from loopback. */
    EgressDialer(Transport transport, EventLoopGroup group, EgressConfig config, DnsServerAddressStreamProvider nameServers) {
        this(transport, group, config, ChannelSettings.nettyDefaults(), nameServers);
    }

    private EgressDialer(Transport transport, EventLoopGroup group, EgressConfig config, ChannelSettings channels,
                         DnsServerAddressStreamProvider nameServers) {
        this.transport = Objects.requireNonNull(transport, "transport");
        this.group = Objects.requireNonNull(group, "group");
        this.channels = Objects.requireNonNull(channels, "channels");
        this.connectTimeoutNanos = config.connectTimeout().toNanos();
        DnsNameResolverBuilder resolver = new DnsNameResolverBuilder()
                .datagramChannelType(transport.datagramChannel())
                .nameServerProvider(nameServers)
                // Both families, IPv4 first: every address is judged, and v4 is the likelier to connect.
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
                .completeOncePreferredResolved(false)
                .hostsFileEntriesResolver(HostsFileEntriesResolver.DEFAULT);
        if (SocketChannel.class.isAssignableFrom(transport.socketChannel())) {
            // Truncated UDP answers are retried over TCP, so that a long answer is not read as "no address".
            resolver.socketChannelType(transport.socketChannel().asSubclass(SocketChannel.class));
        }
        this.resolvers = new DnsAddressResolverGroup(resolver);
    }

    /**
     * Opens a TCP connection to the target if the policy allows it.
     *
     * @param loop        the event loop to register the channel on, normally the calling channel's; null for
     *                    any loop of the gateway's group
     * @param initializer added to the new channel's pipeline (must be {@code @Sharable}, e.g. a
     *                    {@code ChannelInitializer}, if the name resolves to more than one address)
     * @return a future completed with the connected channel (not yet reading), or failed with an
     *         {@link EgressRefusedException} (counted in {@code metrics}) or the connection's own error
     */
    public Future<Channel> connect(EgressTarget target, EgressPolicy policy, EventLoop loop,
                                   ChannelHandler initializer, ProtocolMetrics metrics) {
        return dial(target, policy, loop, initializer, metrics, Channel.class, true, DialOptions.defaults());
    }

    /** As {@link #connect(EgressTarget, EgressPolicy, EventLoop, ChannelHandler, ProtocolMetrics)}, with per-dial options. */
    public Future<Channel> connect(EgressTarget target, EgressPolicy policy, EventLoop loop,
                                   ChannelHandler initializer, ProtocolMetrics metrics, DialOptions options) {
        return dial(target, policy, loop, initializer, metrics, Channel.class, true, options);
    }

    /**
     * Opens a connected UDP channel to the target if the policy allows it; the same checks as
     * {@link #connect}. Being connected, the channel only receives datagrams from the checked address.
     */
    public Future<DatagramChannel> connectUdp(EgressTarget target, EgressPolicy policy, EventLoop loop,
                                              ChannelHandler initializer, ProtocolMetrics metrics) {
        return dial(target, policy, loop, initializer, metrics, DatagramChannel.class, false, DialOptions.defaults());
    }

    /** As {@link #connectUdp(EgressTarget, EgressPolicy, EventLoop, ChannelHandler, ProtocolMetrics)}, with per-dial options. */
    public Future<DatagramChannel> connectUdp(EgressTarget target, EgressPolicy policy, EventLoop loop,
                                              ChannelHandler initializer, ProtocolMetrics metrics, DialOptions options) {
        return dial(target, policy, loop, initializer, metrics, DatagramChannel.class, false, options);
    }

    /** Closes the resolvers; channels already dialed are not affected. */
    @Override
    public void close() {
        resolvers.close();
    }

    private <C extends Channel> Future<C> dial(EgressTarget target, EgressPolicy policy, EventLoop loop,
                                               ChannelHandler initializer, ProtocolMetrics metrics,
                                               Class<C> kind, boolean stream, DialOptions options) {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(initializer, "initializer");
        Objects.requireNonNull(metrics, "metrics");
        EventLoop el = loop != null ? loop : group.next();
        Attempt<C> attempt = new Attempt<>(el, initializer, metrics, kind, stream, options);
        EgressPolicy.Screening screening = policy.screen(target);
        if (screening instanceof EgressPolicy.Screening.Refused r) {
            attempt.refuse(r.refusal());
        } else if (screening instanceof EgressPolicy.Screening.Literal l) {
            if (options.family().admits(l.address())) {
                attempt.connect(List.of(new InetSocketAddress(l.address(), target.port())));
            } else {
                attempt.refuse(new EgressRefusal(EgressRefusal.Reason.NO_ADDRESS,
                        "host " + target.host() + " is not an " + familyName(options.family()) + " address"));
            }
        } else {
            attempt.resolve((EgressPolicy.Screening.Name) screening, policy, target.port());
        }
        return attempt.promise;
    }

    private static String familyName(DialOptions.Family family) {
        return family == DialOptions.Family.IPV6 ? "IPv6" : "IPv4";
    }

    /** One dial: its promise, and the steps from resolution to a connected channel. */
    private final class Attempt<C extends Channel> {
        final EventLoop loop;
        final ChannelHandler initializer;
        final ProtocolMetrics metrics;
        final Class<C> kind;
        final boolean stream;
        final DialOptions options;
        final Promise<C> promise;

        Attempt(EventLoop loop, ChannelHandler initializer, ProtocolMetrics metrics, Class<C> kind, boolean stream,
                DialOptions options) {
            this.loop = loop;
            this.initializer = initializer;
            this.metrics = metrics;
            this.kind = kind;
            this.stream = stream;
            this.options = options;
            this.promise = loop.newPromise();
        }

        void refuse(EgressRefusal refusal) {
            metrics.egressRefusal(refusal.reason().label());
            promise.tryFailure(new EgressRefusedException(refusal));
        }

        void resolve(EgressPolicy.Screening.Name name, EgressPolicy policy, int port) {
            Future<List<InetSocketAddress>> lookup;
            try {
                lookup = resolvers.getResolver(loop).resolveAll(InetSocketAddress.createUnresolved(name.name(), port));
            } catch (IllegalStateException e) {
                // The loop is shutting down.
                promise.tryFailure(e);
                return;
            }
            lookup.addListener(f -> {
                if (promise.isDone()) {
                    return;
                }
                if (!f.isSuccess()) {
                    refuse(new EgressRefusal(EgressRefusal.Reason.RESOLUTION_FAILED,
                            "could not resolve host " + name.name()));
                    return;
                }
                @SuppressWarnings("unchecked")
                List<InetSocketAddress> addresses = (List<InetSocketAddress>) f.getNow();
                if (addresses == null || addresses.isEmpty()) {
                    refuse(new EgressRefusal(EgressRefusal.Reason.NO_ADDRESS, "host " + name.name() + " has no address"));
                    return;
                }
                List<InetSocketAddress> checked = new ArrayList<>(addresses.size());
                for (InetSocketAddress a : addresses) {
                    Optional<EgressRefusal> refusal = policy.check(name, a.getAddress());
                    if (refusal.isPresent()) {
                        refuse(refusal.get());
                        return;
                    }
                    if (options.family().admits(a.getAddress())) {
                        checked.add(new InetSocketAddress(a.getAddress(), port));
                    }
                }
                if (checked.isEmpty()) {
                    refuse(new EgressRefusal(EgressRefusal.Reason.NO_ADDRESS,
                            "host " + name.name() + " has no " + familyName(options.family()) + " address"));
                    return;
                }
                connect(checked);
            });
        }

        void connect(List<InetSocketAddress> addresses) {
            long timeout = options.connectTimeout() == null ? connectTimeoutNanos : options.connectTimeout().toNanos();
            connect(addresses, 0, System.nanoTime() + timeout, timeout);
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private void connect(List<InetSocketAddress> addresses, int index, long deadline, long timeoutNanos) {
            if (promise.isDone()) {
                // Cancelled by the caller while resolving or between attempts.
                return;
            }
            long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (remainingMillis <= 0) {
                promise.tryFailure(new ConnectTimeoutException("connection timed out after "
                        + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"));
                return;
            }
            Bootstrap bootstrap = new Bootstrap()
                    .group(loop)
                    .channel(stream ? transport.socketChannel() : transport.datagramChannel())
                    // Only checked addresses reach here; nothing may resolve a name again.
                    .disableResolver()
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.ALLOCATOR, channels.allocator())
                    .handler(initializer);
            if (stream) {
                // The gateway's allocator and a read allocator of this channel's own.
                channels.applyTo(bootstrap);
                bootstrap.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, remainingMillis))
                        .option(ChannelOption.TCP_NODELAY, true);
            }
            for (var option : options.channelOptions().entrySet()) {
                bootstrap.option((ChannelOption) option.getKey(), option.getValue());
            }
            ChannelFuture connecting = bootstrap.connect(addresses.get(index));
            promise.addListener(p -> {
                if (p.isCancelled()) {
                    connecting.channel().close();
                }
            });
            connecting.addListener((ChannelFuture f) -> {
                if (f.isSuccess()) {
                    if (!promise.trySuccess(kind.cast(f.channel()))) {
                        f.channel().close();
                    }
                } else if (!promise.isDone()) {
                    boolean next = index + 1 < addresses.size() && !(f.cause() instanceof ConnectTimeoutException);
                    if (next) {
                        connect(addresses, index + 1, deadline, timeoutNanos);
                    } else {
                        promise.tryFailure(f.cause());
                    }
                }
            });
        }
    }
}

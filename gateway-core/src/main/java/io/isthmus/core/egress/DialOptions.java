package io.isthmus.core.egress;

import io.netty.channel.ChannelOption;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one dial may ask beyond the target (the per-socket options of the Direct Sockets API, carried by a
 * raw-socket bridge's query string): its own connect timeout, one address family, and channel options
 * set before connecting. The policy is the same whatever is asked here.
 *
 * @param connectTimeout for all attempts together; null for the dialer's configured {@code connect-timeout}
 * @param family         which resolved addresses may be dialed ({@code dnsQueryType}); every address the
 *                       name resolves to is still judged
 * @param channelOptions set on the new channel before it connects ({@code SO_SNDBUF}, {@code SO_KEEPALIVE},
 *                       {@code TCP_NODELAY}...); the caller picks options its transport knows
 */
public record DialOptions(Duration connectTimeout, Family family, Map<ChannelOption<?>, Object> channelOptions) {

    private static final DialOptions DEFAULTS = new DialOptions(null, Family.ANY, Map.of());

    /** The address families a dial may use. */
    public enum Family {
        ANY, IPV4, IPV6;

        boolean admits(InetAddress address) {
            return switch (this) {
                case ANY -> true;
                case IPV4 -> address instanceof Inet4Address;
                case IPV6 -> address instanceof Inet6Address;
            };
        }
    }

    public DialOptions {
        if (connectTimeout != null && (connectTimeout.isNegative() || connectTimeout.isZero())) {
            throw new IllegalArgumentException("connect timeout must be positive");
        }
        if (family == null) {
            family = Family.ANY;
        }
        channelOptions = channelOptions == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(channelOptions));
    }

    public static DialOptions defaults() {
        return DEFAULTS;
    }
}

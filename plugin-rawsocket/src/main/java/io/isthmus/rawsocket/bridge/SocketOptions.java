package io.isthmus.rawsocket.bridge;

import io.isthmus.core.egress.DialOptions;
import io.isthmus.rawsocket.RawSocketConfig.OptionsConfig;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioChannelOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The per-connection options of rawsocket-browser.md §5, from the upgrade's query string, named as the
 * Direct Sockets API names them. Every value is checked before any dial; the first bad one is reported by
 * name ({@link Invalid}) so the page can read it in the close reason.
 *
 * @param noDelay           TCP_NODELAY (default on, as websockify: interactive clients want it)
 * @param keepAliveDelayMs  0 for none; else SO_KEEPALIVE with TCP_KEEPIDLE and TCP_KEEPINTVL of ceil(ms/1000) s
 * @param sendBufferSize    0 for the system default; else SO_SNDBUF, clamped to the server maximum
 * @param receiveBufferSize 0 for the system default; else SO_RCVBUF, clamped likewise
 * @param connectTimeout    null for the plugin's default
 * @param idleTimeout       null for the plugin's default
 */
public record SocketOptions(boolean noDelay, long keepAliveDelayMs, int sendBufferSize, int receiveBufferSize,
                            DialOptions.Family family, Duration connectTimeout, Duration idleTimeout) {

    /** The query parameters that are options (everything else, e.g. token, host, port, is not). */
    public static final List<String> NAMES = List.of("noDelay", "keepAliveDelay", "sendBufferSize", "receiveBufferSize",
            "dnsQueryType", "connectTimeout", "idleTimeout");

    private static final SocketOptions DEFAULTS = new SocketOptions(true, 0, 0, 0, DialOptions.Family.ANY, null, null);

    /** A refused option; the message starts with its name. */
    public static final class Invalid extends Exception {
        private final String option;

        Invalid(String option, String problem) {
            super("Invalid option " + option + ": " + problem, null, false, false);
            this.option = option;
        }

        public String option() {
            return option;
        }
    }

    public static SocketOptions defaults() {
        return DEFAULTS;
    }

    /** The first option present in {@code query}, or null. */
    public static String firstPresent(Map<String, String> query) {
        for (String name : NAMES) {
            if (query.containsKey(name)) {
                return name;
            }
        }
        return null;
    }

    public static SocketOptions parse(Map<String, String> query, OptionsConfig limits) throws Invalid {
        boolean noDelay = true;
        String v = query.get("noDelay");
        if (v != null) {
            if (!v.equals("true") && !v.equals("false")) {
                throw new Invalid("noDelay", "expected true or false");
            }
            noDelay = v.equals("true");
        }
        long keepAlive = 0;
        v = query.get("keepAliveDelay");
        if (v != null) {
            keepAlive = number("keepAliveDelay", v);
            // The spec's constructor throws a TypeError below one second.
            if (keepAlive < 1000) {
                throw new Invalid("keepAliveDelay", "must be at least 1000 ms");
            }
            if (keepAlive > limits.maxKeepAliveDelay().toMillis()) {
                throw new Invalid("keepAliveDelay", "must be at most " + limits.maxKeepAliveDelay().toMillis() + " ms");
            }
        }
        int send = bufferSize("sendBufferSize", query.get("sendBufferSize"), limits);
        int receive = bufferSize("receiveBufferSize", query.get("receiveBufferSize"), limits);
        DialOptions.Family family = DialOptions.Family.ANY;
        v = query.get("dnsQueryType");
        if (v != null) {
            family = switch (v) {
                case "ipv4" -> DialOptions.Family.IPV4;
                case "ipv6" -> DialOptions.Family.IPV6;
                default -> throw new Invalid("dnsQueryType", "expected ipv4 or ipv6");
            };
        }
        Duration connect = duration("connectTimeout", query.get("connectTimeout"), limits.maxConnectTimeout());
        Duration idle = duration("idleTimeout", query.get("idleTimeout"), limits.maxIdleTimeout());
        return new SocketOptions(noDelay, keepAlive, send, receive, family, connect, idle);
    }

    private static long number(String name, String v) throws Invalid {
        if (!v.matches("[0-9]{1,12}")) {
            throw new Invalid(name, "expected a whole number");
        }
        return Long.parseLong(v);
    }

    private static int bufferSize(String name, String v, OptionsConfig limits) throws Invalid {
        if (v == null) {
            return 0;
        }
        long n = number(name, v);
        if (n == 0) {
            throw new Invalid(name, "must be more than 0");
        }
        return (int) Math.min(n, limits.maxBufferSize().bytes());
    }

    private static Duration duration(String name, String v, Duration max) throws Invalid {
        if (v == null) {
            return null;
        }
        long ms = number(name, v);
        if (ms == 0) {
            throw new Invalid(name, "must be more than 0 ms");
        }
        if (ms > max.toMillis()) {
            throw new Invalid(name, "must be at most " + max.toMillis() + " ms");
        }
        return Duration.ofMillis(ms);
    }

    /** The dial these options ask for; {@code defaultConnect} applies when the client set none. */
    public DialOptions dialOptions(boolean datagram, Duration defaultConnect, boolean epoll) {
        Map<ChannelOption<?>, Object> opts = new LinkedHashMap<>();
        if (sendBufferSize > 0) {
            opts.put(ChannelOption.SO_SNDBUF, sendBufferSize);
        }
        if (receiveBufferSize > 0) {
            opts.put(ChannelOption.SO_RCVBUF, receiveBufferSize);
        }
        if (!datagram) {
            opts.put(ChannelOption.TCP_NODELAY, noDelay);
            if (keepAliveDelayMs > 0) {
                int seconds = (int) Math.max(1, (keepAliveDelayMs + 999) / 1000);
                opts.put(ChannelOption.SO_KEEPALIVE, true);
                if (epoll) {
                    opts.put(EpollChannelOption.TCP_KEEPIDLE, seconds);
                    opts.put(EpollChannelOption.TCP_KEEPINTVL, seconds);
                } else {
                    opts.put(NioChannelOption.of(jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE), seconds);
                    opts.put(NioChannelOption.of(jdk.net.ExtendedSocketOptions.TCP_KEEPINTERVAL), seconds);
                }
            }
        }
        return new DialOptions(connectTimeout != null ? connectTimeout : defaultConnect, family, opts);
    }

    /** Whether channels of this class take epoll's own options. */
    public static boolean isEpoll(Class<?> socketChannel) {
        return EpollSocketChannel.class.isAssignableFrom(socketChannel);
    }
}

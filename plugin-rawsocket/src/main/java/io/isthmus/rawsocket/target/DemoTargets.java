package io.isthmus.rawsocket.target;

import io.isthmus.core.egress.EgressConfig;
import io.isthmus.core.egress.EgressPolicy;
import io.isthmus.core.egress.EgressRules;
import io.isthmus.core.egress.EgressTarget;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The demo services' tokens, filled in once they listen. Each is dialed under a policy of its own that
 * allows exactly its loopback address and port (on top of the operator's global rules), so enabling the
 * demo opens nothing else on loopback.
 */
public final class DemoTargets {

    public static final String ECHO = "demo-echo";
    public static final String BANNER = "demo-banner";
    public static final String UDP_ECHO = "demo-udp-echo";

    private final EgressConfig global;
    private final Map<String, Target> tcp = new ConcurrentHashMap<>();
    private final Map<String, Target> udp = new ConcurrentHashMap<>();

    public DemoTargets(EgressConfig global) {
        this.global = global;
    }

    public void addTcp(String name, InetSocketAddress address) {
        tcp.put(name, target(address));
    }

    public void addUdp(String name, InetSocketAddress address) {
        udp.put(name, target(address));
    }

    public void clear() {
        tcp.clear();
        udp.clear();
    }

    /** The demo target of {@code name} for the given transport, or null. */
    public Target lookup(String name, boolean datagram) {
        return (datagram ? udp : tcp).get(name);
    }

    private Target target(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        String cidr = host + (host.indexOf(':') >= 0 ? "/128" : "/32");
        EgressRules only = new EgressRules(List.of(cidr), List.of(), List.of(), List.of(),
                List.of(Integer.toString(address.getPort())), List.of());
        return new Target(new EgressTarget(host, address.getPort()), EgressPolicy.of(global, only), "demo");
    }
}

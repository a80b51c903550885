package io.isthmus.core.egress;

import io.isthmus.core.egress.EgressRefusal.Reason;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a plugin may dial: by default only public unicast addresses (egress-policy.md §2.6, every
 * IPv4-in-IPv6 spelling judged by its IPv4), never the names that mean "this machine" or "the cloud
 * metadata service". The operator widens or narrows it with {@link EgressRules}.
 *
 * <p>Precedence, most binding first: port 0, deny-ports and (when set) allow-ports; deny-hosts; deny-cidrs
 * (also against the IPv4 an IPv6 address carries); then allow-hosts (a name it matches passes the built-in
 * name and address defaults) and allow-cidrs (an address it contains passes the built-in table); then the
 * built-in defaults. Host patterns never apply to IP literals: those are judged by CIDRs only.
 *
 * <p>Immutable and thread-safe; build one per plugin at start-up.
 */
public final class EgressPolicy {

    /** Names that mean this machine, its link, or a cloud metadata service (egress-policy.md §2.5). */
    private static final List<HostPattern> DEFAULT_DENIED_NAMES = List.of(
            HostPattern.parse("localhost"), HostPattern.parse("*.localhost"),
            HostPattern.parse("localhost.localdomain"), HostPattern.parse("*.local"),
            HostPattern.parse("metadata.google.internal"));

    private final List<Cidr> allowCidrs;
    private final List<Cidr> denyCidrs;
    private final List<HostPattern> allowHosts;
    private final List<HostPattern> denyHosts;
    private final List<PortRange> allowPorts;
    private final List<PortRange> denyPorts;

    private EgressPolicy(EgressRules rules) {
        this.allowCidrs = compile(rules.allowCidrs(), Cidr::parse);
        this.denyCidrs = compile(rules.denyCidrs(), Cidr::parse);
        this.allowHosts = compile(rules.allowHosts(), HostPattern::parse);
        this.denyHosts = compile(rules.denyHosts(), HostPattern::parse);
        this.allowPorts = compile(rules.allowPorts(), PortRange::parse);
        this.denyPorts = compile(rules.denyPorts(), PortRange::parse);
    }

    /** The built-in default alone: public unicast, no special names. */
    public static EgressPolicy defaults() {
        return new EgressPolicy(EgressRules.none());
    }

    public static EgressPolicy of(EgressRules rules) {
        return new EgressPolicy(rules);
    }

    /** The operator's global rules plus a plugin's own ({@code plugins.<name>.egress}). */
    public static EgressPolicy of(EgressConfig global, EgressRules plugin) {
        return new EgressPolicy(global.rules().and(plugin));
    }

    /**
     * Everything that can be judged before resolution: the port, the name rules, or — for an IP literal —
     * the address itself. Empty means: dial it (a name must still pass {@link #check(EgressTarget, InetAddress)}
     * for every address it resolves to).
     */
    public Optional<EgressRefusal> check(EgressTarget target) {
        return screen(target) instanceof Screening.Refused r ? Optional.of(r.refusal()) : Optional.empty();
    }

    /**
     * Judges the target together with one address its name resolved to; a dialer must call this for every
     * address and refuse the target when any one is refused (DNS may hand a client a public address now and a
     * private one on the next lookup).
     */
    public Optional<EgressRefusal> check(EgressTarget target, InetAddress resolved) {
        Screening s = screen(target);
        if (s instanceof Screening.Refused r) {
            return Optional.of(r.refusal());
        }
        if (s instanceof Screening.Name n) {
            return check(n, resolved);
        }
        return judge(resolved.getAddress(), false, target.host(), false);
    }

    /** Judges one address a screened name resolved to. */
    Optional<EgressRefusal> check(Screening.Name name, InetAddress resolved) {
        return judge(resolved.getAddress(), name.allowedByName(), name.name(), true);
    }

    /** The outcome of judging a target before resolution, for the dialer. */
    sealed interface Screening {
        /** Refused outright. */
        record Refused(EgressRefusal refusal) implements Screening {
        }

        /** An IP literal that passed: connect to it, no DNS. */
        record Literal(InetAddress address) implements Screening {
        }

        /** A name that passed the name rules: resolve it, then judge every address. */
        record Name(String name, boolean allowedByName) implements Screening {
        }
    }

    Screening screen(EgressTarget target) {
        int port = target.port();
        if (port < 0 || port > 65535) {
            return refused(Reason.INVALID_TARGET, "port " + port + " is out of range");
        }
        Optional<EgressRefusal> portRefusal = checkPort(port);
        if (portRefusal.isPresent()) {
            return new Screening.Refused(portRefusal.get());
        }
        TargetHost host;
        try {
            host = TargetHost.parse(target.host());
        } catch (IllegalArgumentException e) {
            return refused(Reason.INVALID_TARGET, "invalid host '" + printable(target.host()) + "': " + e.getMessage());
        }
        if (host instanceof TargetHost.Address a) {
            Optional<EgressRefusal> refusal = judge(a.bytes(), false, target.host(), false);
            if (refusal.isPresent()) {
                return new Screening.Refused(refusal.get());
            }
            try {
                return new Screening.Literal(InetAddress.getByAddress(a.bytes()));
            } catch (UnknownHostException e) {
                throw new IllegalStateException("4 or 16 bytes are always an address", e);
            }
        }
        String name = ((TargetHost.Name) host).name();
        if (matchesAny(denyHosts, name)) {
            return refused(Reason.DENIED_NAME, "host " + name + " is denied by the operator");
        }
        boolean allowedByName = matchesAny(allowHosts, name);
        if (!allowedByName && matchesAny(DEFAULT_DENIED_NAMES, name)) {
            return refused(Reason.DENIED_NAME, "host " + name + " names a local or metadata service");
        }
        return new Screening.Name(name, allowedByName);
    }

    private Optional<EgressRefusal> checkPort(int port) {
        if (port == 0) {
            return refusal(Reason.DENIED_PORT, "port 0 is never dialed");
        }
        for (PortRange r : denyPorts) {
            if (r.contains(port)) {
                return refusal(Reason.DENIED_PORT, "port " + port + " is denied by the operator");
            }
        }
        if (!allowPorts.isEmpty() && allowPorts.stream().noneMatch(r -> r.contains(port))) {
            return refusal(Reason.DENIED_PORT, "port " + port + " is not an allowed port");
        }
        return Optional.empty();
    }

    /**
     * Judges an address. {@code resolvedFrom} says the address came from DNS for the name {@code host}: then
     * the message names the host and not the address, which the client has no business learning.
     */
    private Optional<EgressRefusal> judge(byte[] address, boolean allowedByName, String host, boolean resolvedFrom) {
        EmbeddedIpv4.Form form = address.length == 16 ? EmbeddedIpv4.formOf(address) : null;
        List<byte[]> carried = form == null ? List.of() : EmbeddedIpv4.carried(form, address);
        String shown = resolvedFrom ? "host " + printable(host) + " resolves to an address that"
                : "address " + NetUtil.bytesToIpAddress(address);

        // Operator denials beat every allow, and see through IPv4-in-IPv6 spellings.
        if (inAny(denyCidrs, address) || carried.stream().anyMatch(v4 -> inAny(denyCidrs, v4))) {
            return refusal(Reason.DENIED_ADDRESS, shown + " is denied by the operator");
        }
        if (allowedByName || inAny(allowCidrs, address)) {
            return Optional.empty();
        }
        Optional<SpecialPurposeAddresses.Block> plain = form == null
                ? SpecialPurposeAddresses.refusing(address) : Optional.empty();
        if (plain.isPresent()) {
            return refusal(Reason.NON_PUBLIC_ADDRESS, shown + " is not public" + (resolvedFrom ? "" : ": " + plain.get()));
        }
        for (byte[] v4 : carried) {
            if (inAny(allowCidrs, v4)) {
                continue;
            }
            Optional<SpecialPurposeAddresses.Block> block = SpecialPurposeAddresses.refusing(v4);
            if (block.isPresent()) {
                return refusal(Reason.NON_PUBLIC_ADDRESS, shown + " is not public"
                        + (resolvedFrom ? "" : ": it is " + form.name() + " of " + NetUtil.bytesToIpAddress(v4)
                        + " in " + block.get()));
            }
        }
        return Optional.empty();
    }

    private static boolean inAny(List<Cidr> cidrs, byte[] address) {
        for (Cidr c : cidrs) {
            if (c.contains(address)) {
                return true;
            }
        }
        return false;
    }

    private static boolean matchesAny(List<HostPattern> patterns, String name) {
        for (HostPattern p : patterns) {
            if (p.matches(name)) {
                return true;
            }
        }
        return false;
    }

    private static Screening refused(Reason reason, String message) {
        return new Screening.Refused(new EgressRefusal(reason, message));
    }

    private static Optional<EgressRefusal> refusal(Reason reason, String message) {
        return Optional.of(new EgressRefusal(reason, message));
    }

    /** Client input echoed in a message: printable ASCII only and short, so it is safe in any error body or log. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 100));
        for (int i = 0; i < s.length() && i < 100; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7F ? c : '?');
        }
        return s.length() > 100 ? b.append("...").toString() : b.toString();
    }

    private static <T> List<T> compile(List<String> texts, Function<String, T> parse) {
        return texts.stream().map(parse).toList();
    }
}

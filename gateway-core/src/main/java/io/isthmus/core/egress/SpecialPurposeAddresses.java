package io.isthmus.core.egress;

import java.util.List;
import java.util.Optional;

/**
 * The ranges the default policy refuses: IANA's special-purpose registries as listed in
 * protocols/egress-policy.md §2.6. The JDK's own predicates miss most of them (no CGNAT, no ULA, no
 * benchmarking, no NAT64), hence a table of our own.
 *
 * <p>The IPv4-in-IPv6 forms (mapped, compatible, NAT64, 6to4) are not in these tables: an address of
 * those forms is judged by the IPv4 it carries, see {@link EmbeddedIpv4}.
 */
final class SpecialPurposeAddresses {

    /** One refused range and what it is for, which is what an operator needs to read in a refusal. */
    record Block(Cidr cidr, String purpose) {
        @Override
        public String toString() {
            return cidr + " (" + purpose + ")";
        }
    }

    static final List<Block> IPV4 = List.of(
            block("0.0.0.0/8", "this network"),
            block("10.0.0.0/8", "private"),
            block("100.64.0.0/10", "shared address space, CGNAT"),
            block("127.0.0.0/8", "loopback"),
            block("169.254.0.0/16", "link-local, cloud metadata"),
            block("172.16.0.0/12", "private"),
            block("192.0.0.0/24", "IETF protocol assignments"),
            block("192.0.2.0/24", "documentation"),
            block("192.88.99.0/24", "6to4 relay anycast"),
            block("192.168.0.0/16", "private"),
            block("198.18.0.0/15", "benchmarking"),
            block("198.51.100.0/24", "documentation"),
            block("203.0.113.0/24", "documentation"),
            block("224.0.0.0/4", "multicast"),
            block("240.0.0.0/4", "reserved, broadcast"));

    static final List<Block> IPV6 = List.of(
            block("::/128", "unspecified"),
            block("::1/128", "loopback"),
            block("100::/64", "discard-only"),
            block("2001::/23", "IETF protocol assignments, Teredo"),
            block("2001:db8::/32", "documentation"),
            block("3fff::/20", "documentation"),
            block("5f00::/16", "SRv6 SIDs"),
            block("fc00::/7", "unique local"),
            block("fe80::/10", "link-local"),
            block("fec0::/10", "site-local, deprecated"),
            block("ff00::/8", "multicast"));

    /** Everything global unicast lives in 2000::/3 (RFC 4291 §2.4); outside it only the IPv4-carrying forms may pass. */
    private static final Cidr GLOBAL_UNICAST_V6 = Cidr.parse("2000::/3");

    private SpecialPurposeAddresses() {
    }

    /**
     * The refused range a plain (non IPv4-carrying) address falls in, judged on its own bytes; for IPv6
     * this includes "outside 2000::/3". Empty means the address is global unicast.
     */
    static Optional<Block> refusing(byte[] address) {
        List<Block> table = address.length == 4 ? IPV4 : IPV6;
        for (Block b : table) {
            if (b.cidr().contains(address)) {
                return Optional.of(b);
            }
        }
        if (address.length == 16 && !GLOBAL_UNICAST_V6.contains(address)) {
            return Optional.of(new Block(GLOBAL_UNICAST_V6, "outside global unicast"));
        }
        return Optional.empty();
    }

    private static Block block(String cidr, String purpose) {
        return new Block(Cidr.parse(cidr), purpose);
    }
}

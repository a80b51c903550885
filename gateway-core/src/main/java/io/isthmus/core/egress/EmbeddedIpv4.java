package io.isthmus.core.egress;

import java.util.List;

/**
 * The IPv4 address an IPv6 address carries, for the forms that reach an IPv4 host: a policy that judged
 * {@code ::ffff:127.0.0.1} or {@code 64:ff9b::7f00:1} as "some IPv6 address" would let a client reach
 * loopback (wisp-js does, egress-policy.md §2.2). Each form below is judged by its IPv4 instead.
 */
final class EmbeddedIpv4 {

    /** An IPv4-carrying form: where it lives and where the IPv4 sits inside it. */
    record Form(Cidr prefix, String name, List<int[]> placements) {
    }

    private static final Cidr UNSPECIFIED = Cidr.parse("::/128");
    private static final Cidr LOOPBACK = Cidr.parse("::1/128");

    static final List<Form> FORMS = List.of(
            form("::ffff:0:0/96", "IPv4-mapped", last32()),
            // Deprecated IPv4-compatible; :: and ::1 are themselves, not 0.0.0.0 and 0.0.0.1.
            form("::/96", "IPv4-compatible", last32()),
            form("64:ff9b::/96", "NAT64", last32()),
            // RFC 8215 local-use NAT64: the operator picks a prefix of /48 to /96 inside it, so every
            // RFC 6052 §2.2 placement is a candidate and all of them must pass.
            form("64:ff9b:1::/48", "local-use NAT64",
                    List.of(new int[] {6, 7, 9, 10}, new int[] {7, 9, 10, 11}, new int[] {9, 10, 11, 12},
                            new int[] {12, 13, 14, 15})),
            form("2002::/16", "6to4", List.of(new int[] {2, 3, 4, 5})));

    private EmbeddedIpv4() {
    }

    /** The form an address has, or null when it carries no IPv4 (or is {@code ::} or {@code ::1}). */
    static Form formOf(byte[] v6) {
        if (v6.length != 16 || UNSPECIFIED.contains(v6) || LOOPBACK.contains(v6)) {
            return null;
        }
        for (Form f : FORMS) {
            if (f.prefix().contains(v6)) {
                return f;
            }
        }
        return null;
    }

    /** The candidate IPv4 addresses carried in an address of the given form. */
    static List<byte[]> carried(Form form, byte[] v6) {
        return form.placements().stream()
                .map(at -> new byte[] {v6[at[0]], v6[at[1]], v6[at[2]], v6[at[3]]})
                .toList();
    }

    private static List<int[]> last32() {
        return List.<int[]>of(new int[] {12, 13, 14, 15});
    }

    private static Form form(String cidr, String name, List<int[]> placements) {
        return new Form(Cidr.parse(cidr), name, placements);
    }
}

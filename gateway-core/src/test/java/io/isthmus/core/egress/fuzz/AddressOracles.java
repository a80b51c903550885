package io.isthmus.core.egress.fuzz;

import io.netty.util.NetUtil;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Independent readers of IP literals, to judge the egress policy against: whatever any of them reads as a
 * non-public address, the default policy must refuse. None of them ever resolves a name.
 */
final class AddressOracles {

    private AddressOracles() {
    }

    /**
     * A reader's name and the address it read. {@code contradictsInetAton} when a decimal reader (the JDK,
     * Netty) reads a leading-zero part as decimal where inet_aton, and so the policy, reads it as octal:
     * {@code 010.0.0.1} is 10.0.0.1 to them and 8.0.0.1 to the policy (EgressPolicyFindingsTest).
     */
    record Reading(String reader, InetAddress address, boolean contradictsInetAton) {
        @Override
        public String toString() {
            return reader + " reads " + address.getHostAddress();
        }
    }

    /** Every reading of {@code host} by the JDK, glibc's inet_aton and Netty, plain and after Unicode folding. */
    static List<Reading> readings(String host) {
        List<Reading> all = new ArrayList<>();
        read(host, "", all);
        String folded = fold(host);
        if (!folded.equals(host)) {
            read(folded, " (folded)", all);
        }
        return all;
    }

    private static void read(String host, String note, List<Reading> into) {
        byte[] aton = inetAton(host);
        if (aton != null) {
            into.add(new Reading("inet_aton" + note, byAddress(aton), false));
        }
        InetAddress jdk = jdk(host);
        if (jdk != null) {
            into.add(new Reading("InetAddress.getByName" + note, jdk, contradicts(jdk.getAddress(), aton)));
        }
        byte[] netty = NetUtil.createByteArrayFromIpAddressString(host);
        if (netty != null) {
            into.add(new Reading("NetUtil" + note, byAddress(netty), contradicts(netty, aton)));
        }
    }

    private static boolean contradicts(byte[] decimal, byte[] aton) {
        return aton != null && !java.util.Arrays.equals(decimal, aton);
    }

    /**
     * The loopback, private, link-local, unspecified and multicast addresses of egress-policy.md §2.6 that the
     * JDK's predicates know, plus the three it misses that matter most: ULA (AWS IMDS lives at fd00:ec2::254),
     * 0.0.0.0/8 and CGNAT.
     */
    static boolean nonPublic(InetAddress a) {
        if (a.isLoopbackAddress() || a.isSiteLocalAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress()
                || a.isMulticastAddress()) {
            return true;
        }
        byte[] b = a.getAddress();
        if (b.length == 16) {
            return (b[0] & 0xFE) == 0xFC;
        }
        return b[0] == 0 || (b[0] == 100 && (b[1] & 0xC0) == 64);
    }

    // ---- the JDK, only where it is sure to read a literal rather than ask DNS --------------------------

    private static final Pattern LITERAL_CHARS = Pattern.compile("[0-9a-fA-F.:\\[\\]]{1,64}");
    private static final Pattern DECIMAL_PARTS = Pattern.compile("[0-9]+(\\.[0-9]+){0,3}");

    /**
     * What {@code InetAddress.getByName} makes of a host that is pure IP-literal syntax, or null. It is called
     * only where the JDK 17 code path is sure not to resolve a name: a text with a colon whose first character
     * is a hex digit or a colon (an IPv6 literal, or an UnknownHostException), or 1 to 4 decimal parts that
     * {@code IPAddressUtil.textToNumericFormatV4} accepts.
     */
    static InetAddress jdk(String host) {
        if (!LITERAL_CHARS.matcher(host).matches()) {
            return null;
        }
        String inner = host;
        boolean bracketed = host.charAt(0) == '[';
        if (bracketed) {
            if (host.length() < 3 || host.charAt(host.length() - 1) != ']') {
                return null;
            }
            inner = host.substring(1, host.length() - 1);
        }
        if (inner.indexOf('[') >= 0 || inner.indexOf(']') >= 0) {
            return null;
        }
        if (inner.indexOf(':') >= 0) {
            char first = inner.charAt(0);
            if (Character.digit(first, 16) < 0 && first != ':') {
                return null;
            }
        } else if (bracketed || !jdkDecimalIpv4(inner)) {
            return null;
        }
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** The grammar of {@code IPAddressUtil.textToNumericFormatV4}: 1-4 decimal parts, at most 15 chars. */
    private static boolean jdkDecimalIpv4(String s) {
        if (s.length() > 15 || !DECIMAL_PARTS.matcher(s).matches()) {
            return false;
        }
        String[] parts = s.split("\\.");
        for (int i = 0; i < parts.length - 1; i++) {
            if (Long.parseLong(parts[i]) > 255) {
                return false;
            }
        }
        return Long.parseLong(parts[parts.length - 1]) < 1L << (8 * (5 - parts.length));
    }

    // ---- glibc inet_aton (and the WHATWG URL host parser): octal, hex, short forms, one trailing dot -----

    private static final Pattern ATON_PART = Pattern.compile("0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*");

    static byte[] inetAton(String host) {
        String s = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (s.isEmpty() || s.length() > 256) {
            return null;
        }
        String[] parts = s.split("\\.", -1);
        if (parts.length > 4) {
            return null;
        }
        BigInteger value = BigInteger.ZERO;
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (!ATON_PART.matcher(p).matches()) {
                return null;
            }
            BigInteger v;
            if (p.length() > 1 && (p.charAt(1) == 'x' || p.charAt(1) == 'X')) {
                v = p.length() == 2 ? BigInteger.ZERO : new BigInteger(p.substring(2), 16);
            } else if (p.startsWith("0")) {
                v = p.length() == 1 ? BigInteger.ZERO : new BigInteger(p.substring(1), 8);
            } else {
                v = new BigInteger(p);
            }
            boolean last = i == parts.length - 1;
            int bits = last ? 8 * (4 - i) : 8;
            if (v.bitLength() > bits) {
                return null;
            }
            value = last ? value.or(v) : value.or(v.shiftLeft(8 * (3 - i)));
        }
        long a = value.longValue();
        return new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a};
    }

    // ---- Unicode: what IDNA's nameprep does to a host before anyone reads it ------------------------------

    private static final Pattern MAPPED_TO_NOTHING =
            Pattern.compile("[\\u00AD\\u034F\\u1806\\u180B-\\u180D\\u200B-\\u200D\\u2060\\uFE00-\\uFE0F\\uFEFF]");
    private static final Pattern IDEOGRAPHIC_DOTS = Pattern.compile("[\\u3002\\uFF0E\\uFF61]");

    /** NFKC, the characters nameprep maps to nothing removed, the dots IDNA treats as dots made dots. */
    static String fold(String host) {
        String s = IDEOGRAPHIC_DOTS.matcher(host).replaceAll(".");
        s = MAPPED_TO_NOTHING.matcher(s).replaceAll("");
        return Normalizer.normalize(s, Normalizer.Form.NFKC);
    }

    private static InetAddress byAddress(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes are an address", e);
        }
    }
}

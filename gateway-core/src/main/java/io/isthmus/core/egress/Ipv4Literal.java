package io.isthmus.core.egress;

/**
 * IPv4 addresses in every spelling a resolver library would accept as a number rather than a name.
 *
 * <p>glibc's {@code inet_aton} (and so {@code getaddrinfo}, curl, and the JDK for some forms) reads
 * {@code 127.1}, {@code 2130706433}, {@code 0x7f.1} and {@code 0177.0.0.1} as 127.0.0.1. A policy that
 * only recognised dotted quads would send those to DNS, or worse, to a connector that reads them as
 * loopback; so targets are parsed the {@code inet_aton} way, while config (CIDRs) accepts only the plain
 * dotted quad, where a leading zero is more likely a typo than octal.
 */
final class Ipv4Literal {

    private Ipv4Literal() {
    }

    /**
     * The address a host string denotes under {@code inet_aton} rules: one to four parts separated by
     * dots, each decimal, octal (leading {@code 0}) or hexadecimal ({@code 0x}), the last part filling
     * the remaining bytes. Returns null when the string is not such a number.
     */
    static byte[] parseNumeric(String host) {
        if (host.isEmpty() || host.length() > 64) {
            return null;
        }
        String[] parts = host.split("\\.", -1);
        if (parts.length > 4) {
            return null;
        }
        long[] values = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            long v = number(parts[i]);
            if (v < 0) {
                return null;
            }
            values[i] = v;
        }
        int last = parts.length - 1;
        for (int i = 0; i < last; i++) {
            if (values[i] > 0xFF) {
                return null;
            }
        }
        // The last part fills the bytes the earlier parts left: 32 bits for "a", 24 for "a.b", and so on.
        int lastBits = 8 * (4 - last);
        if (values[last] >= (1L << lastBits)) {
            return null;
        }
        long address = values[last];
        for (int i = 0; i < last; i++) {
            address |= values[i] << (8 * (3 - i));
        }
        return toBytes(address);
    }

    /** Whether a part is a leading zero followed by digits ({@code 0127}): octal here, decimal elsewhere. */
    static boolean hasAmbiguousPart(String host) {
        for (String part : host.split("\\.", -1)) {
            if (part.length() > 1 && part.charAt(0) == '0' && Character.isDigit(part.charAt(1))) {
                return true;
            }
        }
        return false;
    }

    /** A strict dotted quad, four decimal parts 0..255 without leading zeros; null otherwise. */
    static byte[] parseDottedQuad(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0') || !digits(p, 10)) {
                return null;
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                return null;
            }
            bytes[i] = (byte) v;
        }
        return bytes;
    }

    /** One part's value, or -1 when it is not a number in any of the three bases or is absurdly long. */
    private static long number(String part) {
        int radix = 10;
        String digits = part;
        if (part.length() > 1 && part.charAt(0) == '0' && (part.charAt(1) == 'x' || part.charAt(1) == 'X')) {
            radix = 16;
            digits = part.substring(2);
        } else if (part.length() > 1 && part.charAt(0) == '0') {
            radix = 8;
            digits = part.substring(1);
        }
        // Eleven digits of octal already exceed 32 bits; anything longer is not an address.
        if (digits.isEmpty() || digits.length() > 12 || !digits(digits, radix)) {
            return -1;
        }
        return Long.parseLong(digits, radix);
    }

    private static boolean digits(String s, int radix) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.digit(s.charAt(i), radix) < 0 || s.charAt(i) > 'z') {
                return false;
            }
        }
        return true;
    }

    private static byte[] toBytes(long address) {
        return new byte[] {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
    }
}

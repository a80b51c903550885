package io.isthmus.core.egress;

import io.netty.util.NetUtil;
import java.util.Arrays;

/**
 * An address block such as {@code 10.0.0.0/8} or {@code fc00::/7}. Parsed strictly — plain dotted quad or
 * RFC 4291 text, no bits set past the prefix — so that a typo in config stops start-up instead of
 * quietly matching nothing. A bare address is a block of one.
 */
public final class Cidr {

    private final byte[] network;
    private final int prefixLength;

    private Cidr(byte[] network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
    }

    public static Cidr parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty CIDR (expected e.g. 10.0.0.0/8 or fc00::/7)");
        }
        int slash = text.indexOf('/');
        String addressPart = slash < 0 ? text : text.substring(0, slash);
        byte[] address = addressPart.indexOf(':') >= 0
                ? Ipv6Literal.parse(addressPart) : Ipv4Literal.parseDottedQuad(addressPart);
        if (address == null) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address or CIDR (expected e.g. 10.0.0.0/8 or fc00::/7)");
        }
        int bits = address.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String p = text.substring(slash + 1);
            prefix = p.matches("[0-9]{1,3}") ? Integer.parseInt(p) : -1;
            if (prefix < 0 || prefix > bits) {
                throw new IllegalArgumentException("'" + text + "': the prefix length must be 0 to " + bits
                        + " for " + (bits == 32 ? "IPv4" : "IPv6"));
            }
        }
        byte[] network = mask(address, prefix);
        if (!Arrays.equals(network, address)) {
            throw new IllegalArgumentException("'" + text + "' has address bits set past the /" + prefix
                    + " prefix (did you mean " + NetUtil.bytesToIpAddress(network) + "/" + prefix + "?)");
        }
        return new Cidr(network, prefix);
    }

    /** True when the address (4 or 16 bytes) is in this block; addresses of the other family never are. */
    public boolean contains(byte[] address) {
        if (address.length != network.length) {
            return false;
        }
        int whole = prefixLength / 8;
        for (int i = 0; i < whole; i++) {
            if (address[i] != network[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        if (rest == 0) {
            return true;
        }
        int m = 0xFF << (8 - rest) & 0xFF;
        return (address[whole] & m) == (network[whole] & 0xFF);
    }

    int prefixLength() {
        return prefixLength;
    }

    /** A copy of the first address of the block. */
    byte[] network() {
        return network.clone();
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] out = address.clone();
        for (int i = 0; i < out.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - 8 * i));
            out[i] &= (byte) (0xFF << (8 - keep));
        }
        return out;
    }

    @Override
    public String toString() {
        return NetUtil.bytesToIpAddress(network) + "/" + prefixLength;
    }
}

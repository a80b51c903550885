package io.isthmus.core.admin;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Names a client on the status page without showing its address: a keyed hash (HMAC-SHA256, a key made
 * at start-up and never shown) of its network, /24 for IPv4 and /48 for IPv6, cut to eight hex digits.
 * The same network shows the same token while the process lives; without the key nobody can go back from
 * a token to an address, not even by trying all 2^24 IPv4 networks.
 */
final class ClientToken {

    /** Shown for a side that is no socket (or has no address). */
    static final String UNKNOWN = "-";

    private final SecretKeySpec key;

    ClientToken() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        this.key = new SecretKeySpec(secret, "HmacSHA256");
    }

    /** A hasher for one report (a {@link Mac} is not thread-safe, and costs little to make). */
    Hasher hasher() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return new Hasher(mac);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    static final class Hasher {
        private final Mac mac;

        private Hasher(Mac mac) {
            this.mac = mac;
        }

        String token(SocketAddress peer) {
            if (!(peer instanceof InetSocketAddress inet) || inet.getAddress() == null) {
                return UNKNOWN;
            }
            byte[] network = network(inet.getAddress());
            byte[] digest = mac.doFinal(network);
            return "c-" + HexFormat.of().formatHex(digest, 0, 4);
        }
    }

    /** The address's /24 (IPv4, also when mapped into IPv6) or /48 (IPv6), prefixed by its family. */
    static byte[] network(InetAddress address) {
        byte[] raw = address.getAddress();
        if (address instanceof Inet6Address && isMappedIpv4(raw)) {
            raw = Arrays.copyOfRange(raw, 12, 16);
        }
        if (raw.length == 4 || address instanceof Inet4Address) {
            return new byte[] {4, raw[0], raw[1], raw[2]};
        }
        byte[] out = new byte[7];
        out[0] = 6;
        System.arraycopy(raw, 0, out, 1, 6);
        return out;
    }

    private static boolean isMappedIpv4(byte[] raw) {
        for (int i = 0; i < 10; i++) {
            if (raw[i] != 0) {
                return false;
            }
        }
        return raw[10] == (byte) 0xff && raw[11] == (byte) 0xff;
    }
}

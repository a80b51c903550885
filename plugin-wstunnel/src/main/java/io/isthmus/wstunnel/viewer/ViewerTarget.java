package io.isthmus.wstunnel.viewer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A viewer's request target split the websocktunnel way (§5): below the mount, the text up to the next
 * {@code /} is the client id and the rest is the target forwarded into the stream ({@code /} when empty).
 * Unlike the Go server, a {@code ?} also ends the id, so {@code /c1?x=1} reaches {@code c1} with
 * {@code /?x=1} (§10 case 19; Go answers 504 for an id {@code c1?x=1}).
 *
 * @param id        the client id (may be empty)
 * @param forwarded the request target for the client: raw, never re-encoded
 */
public record ViewerTarget(String id, String forwarded) {

    /** Splits {@code target} (which starts with {@code mount}, the prefix without its trailing slash). */
    public static ViewerTarget of(String mount, String target) {
        String rest = target.startsWith(mount) ? target.substring(mount.length()) : target;
        if (rest.startsWith("/")) {
            rest = rest.substring(1);
        }
        int cut = 0;
        while (cut < rest.length() && rest.charAt(cut) != '/' && rest.charAt(cut) != '?') {
            cut++;
        }
        String id = rest.substring(0, cut);
        String after = rest.substring(cut);
        String forwarded = after.isEmpty() ? "/" : after.startsWith("?") ? "/" + after : after;
        return new ViewerTarget(id, forwarded);
    }

    /** The path of {@code target} percent-decoded (as Go's URL.Path; '+' stays), or raw when it has a bad escape. */
    public static String decodedPath(String target) {
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        if (path.indexOf('%') < 0) {
            return path;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%') {
                if (i + 2 >= path.length()) {
                    return path;
                }
                int hi = Character.digit(path.charAt(i + 1), 16);
                int lo = Character.digit(path.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return path;
                }
                out.write(hi * 16 + lo);
                i += 2;
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}

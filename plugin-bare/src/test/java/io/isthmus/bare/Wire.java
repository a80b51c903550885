package io.isthmus.bare;

import io.isthmus.core.testing.RawClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** HTTP/1.1 on raw sockets for Bare tests: exact bytes out, a parsed response (length or chunked) in. */
final class Wire {

    private Wire() {
    }

    record Response(int status, String reason, List<String[]> headers, byte[] body) {
        String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }

        List<String> names() {
            return headers.stream().map(h -> h[0].toLowerCase(Locale.ROOT)).toList();
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** A GET-style head: request line, Host, the extra header lines ("Name: value"), an empty line. */
    static String head(String method, String target, String... lines) {
        StringBuilder s = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: gw\r\n");
        for (String l : lines) {
            s.append(l).append("\r\n");
        }
        return s.append("\r\n").toString();
    }

    static Response read(RawClient client, boolean headRequest) throws IOException {
        return read(client.in(), headRequest);
    }

    static Response read(InputStream in, boolean headRequest) throws IOException {
        String head = RawClient.readHeadFrom(in);
        String[] lines = head.split("\r\n");
        String[] status = lines[0].split(" ", 3);
        List<String[]> headers = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.add(new String[] {lines[i].substring(0, colon), lines[i].substring(colon + 1).trim()});
            }
        }
        Response partial = new Response(Integer.parseInt(status[1]), status.length > 2 ? status[2] : "", headers, new byte[0]);
        int code = partial.status();
        if (headRequest || code == 204 || code == 304 || code == 101) {
            return partial;
        }
        byte[] body;
        String te = partial.header("transfer-encoding");
        String cl = partial.header("content-length");
        if (te != null && te.equalsIgnoreCase("chunked")) {
            body = chunked(in);
        } else if (cl != null) {
            body = in.readNBytes(Integer.parseInt(cl));
        } else {
            body = in.readAllBytes();
        }
        return new Response(code, partial.reason(), headers, body);
    }

    private static byte[] chunked(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String size = line(in);
            int n = Integer.parseInt(size.split(";")[0].trim(), 16);
            if (n == 0) {
                while (!line(in).isEmpty()) {
                    // trailers
                }
                return out.toByteArray();
            }
            out.write(in.readNBytes(n));
            line(in);
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder s = new StringBuilder();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("EOF in chunked body");
            }
            if (b != '\r') {
                s.append((char) b);
            }
        }
        return s.toString();
    }
}

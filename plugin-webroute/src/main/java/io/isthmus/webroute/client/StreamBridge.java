package io.isthmus.webroute.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Copies one stream into another until EOF, flushing after each read so interactive traffic is not held back. */
public final class StreamBridge {

    private StreamBridge() {
    }

    /** Copies until {@code from} ends; returns the bytes copied. Does not close either stream. */
    public static long copy(InputStream from, OutputStream to) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = from.read(buf)) >= 0) {
            to.write(buf, 0, n);
            to.flush();
            total += n;
        }
        return total;
    }
}

package io.isthmus.webroute.client;

import java.io.IOException;
import java.io.InputStream;

/**
 * A stream that first yields bytes already read (those that shared a read with a 101), then the rest of
 * the connection. The reference PHP client drops such bytes; this client must not.
 */
final class PrefixedInputStream extends InputStream {

    private final byte[] prefix;
    private int position;
    private final InputStream rest;

    PrefixedInputStream(byte[] prefix, InputStream rest) {
        this.prefix = prefix;
        this.rest = rest;
    }

    boolean hasPrefixLeft() {
        return position < prefix.length;
    }

    @Override
    public int read() throws IOException {
        if (position < prefix.length) {
            return prefix[position++] & 0xff;
        }
        return rest.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (position < prefix.length) {
            int n = Math.min(len, prefix.length - position);
            System.arraycopy(prefix, position, b, off, n);
            position += n;
            return n;
        }
        return rest.read(b, off, len);
    }

    @Override
    public int available() throws IOException {
        return (prefix.length - position) + rest.available();
    }

    @Override
    public void close() throws IOException {
        rest.close();
    }
}

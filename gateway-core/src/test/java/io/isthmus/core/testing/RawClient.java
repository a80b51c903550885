package io.isthmus.core.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A plain blocking TCP client for tests: writes exact bytes, reads exact bytes, heads and EOF, each read
 * bounded by a socket timeout so a test fails rather than hangs.
 */
public final class RawClient implements AutoCloseable {

    private final Socket socket;
    private final java.io.PushbackInputStream in;
    private final OutputStream out;

    public RawClient(InetSocketAddress address) throws IOException {
        this(address, 10_000);
    }

    public RawClient(InetSocketAddress address, int readTimeoutMillis) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(address, 5_000);
        socket.setSoTimeout(readTimeoutMillis);
        in = new java.io.PushbackInputStream(socket.getInputStream(), 1);
        out = socket.getOutputStream();
    }

    public Socket socket() {
        return socket;
    }

    public RawClient send(String ascii) throws IOException {
        return send(ascii.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Reads exactly {@code n} bytes or fails. */
    public byte[] readExactly(int n) throws IOException {
        byte[] buf = in.readNBytes(n);
        if (buf.length != n) {
            throw new IOException("EOF after " + buf.length + " of " + n + " bytes: " + new String(buf, StandardCharsets.ISO_8859_1));
        }
        return buf;
    }

    /** Reads a response head, up to and including the empty line. */
    public String readHead() throws IOException {
        return readHeadFrom(in);
    }

    /** Reads a response head from {@code in} byte by byte, up to and including the empty line. */
    public static String readHeadFrom(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("EOF inside a head: " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
    }

    /** Reads everything until the peer closes (bounded by the read timeout). */
    public byte[] readToEof() throws IOException {
        return in.readAllBytes();
    }

    public String readToEofAscii() throws IOException {
        return new String(readToEof(), StandardCharsets.ISO_8859_1);
    }

    /** True when the next read sees EOF or a reset (the peer closed). */
    public boolean isClosedByPeer() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketException reset) {
            return true;
        }
    }

    /**
     * True when nothing arrives within {@code millis}; false when a byte arrives (it is kept for the next
     * read) or the peer closes.
     */
    public boolean staysSilentFor(int millis) throws IOException {
        int old = socket.getSoTimeout();
        socket.setSoTimeout(millis);
        try {
            int b = in.read();
            if (b >= 0) {
                in.unread(b);
            }
            return false;
        } catch (SocketTimeoutException expected) {
            return true;
        } finally {
            socket.setSoTimeout(old);
        }
    }

    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /** Closes with an RST instead of a FIN. */
    public void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    public InputStream in() {
        return in;
    }

    public OutputStream out() {
        return out;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    public static boolean startsWith(byte[] data, String prefix) {
        byte[] p = prefix.getBytes(StandardCharsets.ISO_8859_1);
        return data.length >= p.length && Arrays.equals(Arrays.copyOf(data, p.length), p);
    }
}

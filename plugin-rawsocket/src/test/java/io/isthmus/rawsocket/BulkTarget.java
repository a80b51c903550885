package io.isthmus.rawsocket;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One TCP target on 127.0.0.1 that a test drives step by step: it writes what it is told (on its own thread,
 * so a full socket never blocks the test), then ends with a FIN or a reset when told. A reader thread watches
 * for the gateway ending the connection ({@link #closedByGateway}) and then closes the socket.
 */
public final class BulkTarget implements AutoCloseable {

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "bulk-target");
        t.setDaemon(true);
        return t;
    });
    private final CompletableFuture<Socket> accepted = new CompletableFuture<>();
    /** Counts down when the gateway ended the connection (a FIN or a reset reached the target). */
    public final CountDownLatch closedByGateway = new CountDownLatch(1);
    /** Bytes written so far (handed to the socket). */
    public final AtomicLong written = new AtomicLong();

    public BulkTarget() throws IOException {
        server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
        threads.execute(() -> {
            try {
                Socket s = server.accept();
                s.setTcpNoDelay(true);
                accepted.complete(s);
                threads.execute(() -> watch(s));
            } catch (IOException e) {
                accepted.completeExceptionally(e);
            }
        });
    }

    public int port() {
        return server.getLocalPort();
    }

    private Socket socket() throws Exception {
        return accepted.get(20, TimeUnit.SECONDS);
    }

    private void watch(Socket s) {
        try {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            while (in.read(buf) >= 0) {
                // the gateway sends nothing in these tests; whatever comes is dropped
            }
        } catch (IOException ignored) {
            // a reset, or our own close
        }
        closedByGateway.countDown();
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** Writes {@code bytes} on the target's thread; completes once the socket took them all. */
    public CompletableFuture<Void> write(byte[] bytes) {
        return CompletableFuture.runAsync(() -> {
            try {
                OutputStream out = socket().getOutputStream();
                for (int off = 0; off < bytes.length; off += 64 * 1024) {
                    int n = Math.min(64 * 1024, bytes.length - off);
                    out.write(bytes, off, n);
                    written.addAndGet(n);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, threads);
    }

    /** Writes a repeating pattern until the connection ends (the gateway's close, or ours). */
    public void writeEndlessly() {
        threads.execute(() -> {
            byte[] chunk = new byte[64 * 1024];
            for (int i = 0; i < chunk.length; i++) {
                chunk[i] = (byte) i;
            }
            try {
                OutputStream out = socket().getOutputStream();
                while (closedByGateway.getCount() > 0) {
                    out.write(chunk);
                    written.addAndGet(chunk.length);
                }
            } catch (Exception ignored) {
                // the connection ended
            }
        });
    }

    /** Ends the output with a FIN (after what was written). */
    public void fin() throws Exception {
        socket().shutdownOutput();
    }

    /** Ends the connection with a reset (SO_LINGER 0): what the target had not sent yet is dropped. */
    public void reset() throws Exception {
        Socket s = socket();
        s.setSoLinger(true, 0);
        s.close();
    }

    @Override
    public void close() throws IOException {
        server.close();
        accepted.thenAccept(s -> {
            try {
                s.close();
            } catch (IOException ignored) {
                // already closed
            }
        });
        threads.shutdownNow();
    }
}

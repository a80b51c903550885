package io.isthmus.rawsocket.wisp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Real targets on 127.0.0.1 for the Wisp tests: TCP echo, a TCP server that writes a banner and closes,
 * one that never reads (a slow target), a TCP sink that counts, and a UDP echo. Daemon threads, closed
 * with the test.
 */
final class LoopbackServices implements AutoCloseable {

    private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicInteger closedByPeer = new AtomicInteger();
    final AtomicLong sunk = new AtomicLong();
    final CountDownLatch slowAccepted = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);

    private ServerSocket listen() throws IOException {
        ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closeables.add(s);
        return s;
    }

    private void serve(ServerSocket server, Handler h) {
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket c = server.accept();
                    c.setTcpNoDelay(true);
                    accepted.incrementAndGet();
                    closeables.add(c);
                    Thread w = new Thread(() -> {
                        try (c) {
                            h.handle(c);
                        } catch (IOException ignored) {
                            // The test closed it.
                        }
                    }, "loopback-conn");
                    w.setDaemon(true);
                    w.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "loopback-accept");
        t.setDaemon(true);
        t.start();
    }

    interface Handler {
        void handle(Socket s) throws IOException;
    }

    /** Echoes every byte; closes when the peer does. */
    int tcpEcho() throws IOException {
        ServerSocket s = listen();
        serve(s, c -> {
            InputStream in = c.getInputStream();
            OutputStream out = c.getOutputStream();
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
            closedByPeer.incrementAndGet();
        });
        return s.getLocalPort();
    }

    /** Writes {@code content} to each connection as fast as the peer takes it, then closes. */
    int tcpSource(byte[] content) throws IOException {
        ServerSocket s = listen();
        serve(s, c -> {
            OutputStream out = c.getOutputStream();
            for (int off = 0; off < content.length; off += 256 * 1024) {
                out.write(content, off, Math.min(256 * 1024, content.length - off));
            }
            out.flush();
            c.shutdownOutput();
        });
        return s.getLocalPort();
    }

    /** Writes {@code banner} and closes. */
    int tcpBanner(String banner) throws IOException {
        ServerSocket s = listen();
        serve(s, c -> {
            c.getOutputStream().write(banner.getBytes());
            c.getOutputStream().flush();
        });
        return s.getLocalPort();
    }

    /** Writes {@code banner} and closes, listening on {@code address} only (one address family). */
    int tcpBannerOn(InetAddress address, String banner) throws IOException {
        ServerSocket s = new ServerSocket(0, 50, address);
        closeables.add(s);
        serve(s, c -> {
            c.getOutputStream().write(banner.getBytes());
            c.getOutputStream().flush();
        });
        return s.getLocalPort();
    }

    /** Accepts and never reads (its receive window fills up); holds the socket until the test ends. */
    int tcpSlow() throws IOException {
        ServerSocket s = listen();
        serve(s, c -> {
            c.setReceiveBufferSize(4096);
            slowAccepted.countDown();
            try {
                stopped.await(120, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return s.getLocalPort();
    }

    /** Reads to the end of input, then answers "got N" (the bytes it read) and closes: a half-close target. */
    int tcpHalf() throws IOException {
        ServerSocket s = listen();
        serve(s, c -> {
            InputStream in = c.getInputStream();
            byte[] buf = new byte[65536];
            long total = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
            }
            c.getOutputStream().write(("got " + total).getBytes());
            c.getOutputStream().flush();
        });
        return s.getLocalPort();
    }

    /** Reads and counts everything. */
    int tcpSink() throws IOException {
        ServerSocket s = listen();
        serve(s, c -> {
            InputStream in = c.getInputStream();
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                sunk.addAndGet(n);
            }
        });
        return s.getLocalPort();
    }

    /** A port nobody listens on (bound, then closed). */
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Echoes every datagram to its sender. */
    int udpEcho() throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        closeables.add(s);
        Thread t = new Thread(() -> {
            byte[] buf = new byte[65536];
            while (!s.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    s.receive(p);
                    s.send(new DatagramPacket(p.getData(), p.getOffset(), p.getLength(), p.getSocketAddress()));
                } catch (IOException e) {
                    return;
                }
            }
        }, "loopback-udp");
        t.setDaemon(true);
        t.start();
        return s.getLocalPort();
    }

    @Override
    public void close() {
        stopped.countDown();
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception ignored) {
                // Best effort.
            }
        }
    }
}

package io.isthmus.rawsocket;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** Real services on 127.0.0.1 for the bridge to reach: echo, banner then close, sink, half-close, UDP echo. */
final class LoopbackTargets implements AutoCloseable {

    final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "loopback-target");
        t.setDaemon(true);
        return t;
    });
    private final List<AutoCloseable> closeables = new ArrayList<>();
    final AtomicInteger accepted = new AtomicInteger();

    /** A TCP echo; returns its port. */
    int echo() throws IOException {
        return serve(s -> {
            byte[] buf = new byte[64 * 1024];
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
            }
            s.shutdownOutput();
        });
    }

    /** Sends {@code text} and closes at once. */
    int banner(String text) throws IOException {
        return serve(s -> {
            s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            s.close();
        });
    }

    /** Sends {@code bytes} then half-closes (FIN) and keeps reading until the peer goes. */
    int halfClose(byte[] bytes) throws IOException {
        return serve(s -> {
            s.getOutputStream().write(bytes);
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            while (in.read() >= 0) {
                // keep the read side open
            }
            s.close();
        });
    }

    /** Records accepted connections and closes them; for "no connection may arrive" checks. */
    int recorder() throws IOException {
        return serve(Socket::close);
    }

    /** A port with nothing listening on it (bound then closed). */
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A UDP echo; returns its port. */
    int udpEcho() throws IOException {
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        closeables.add(socket);
        pool.execute(() -> {
            byte[] buf = new byte[65536];
            while (!socket.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    socket.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return socket.getLocalPort();
    }

    interface Conversation {
        void run(Socket s) throws IOException;
    }

    private int serve(Conversation conversation) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        closeables.add(server);
        pool.execute(() -> {
            while (!server.isClosed()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return;
                }
                accepted.incrementAndGet();
                pool.execute(() -> {
                    try (s) {
                        conversation.run(s);
                    } catch (IOException ignored) {
                        // the bridge went away
                    }
                });
            }
        });
        return server.getLocalPort();
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        pool.shutdownNow();
    }
}

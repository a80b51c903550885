package io.isthmus.core.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Ports on loopback for tests that start a child process (nginx, HAProxy) on a port of their choosing. */
public final class LoopbackPorts {

    private LoopbackPorts() {
    }

    /** A port free right now on loopback (the child binds it a moment later; a clash is unlikely). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Whether something accepts a TCP connection on 127.0.0.1:{@code port} yet. */
    public static boolean answers(int port) {
        return answers(new InetSocketAddress("127.0.0.1", port));
    }

    /** Whether something accepts a TCP connection on {@code address} yet. */
    public static boolean answers(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, 500);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }
}

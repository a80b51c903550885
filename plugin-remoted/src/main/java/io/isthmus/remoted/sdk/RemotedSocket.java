package io.isthmus.remoted.sdk;

import io.isthmus.webroute.client.WebRouteConnection;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * One remoted client, as {@link RemotedServerSocket#accept()} returns it: a byte stream to the client and
 * the client's address as the gateway saw it (from the notification; the socket's own peer is the gateway).
 */
public final class RemotedSocket implements Closeable {

    private final WebRouteConnection connection;
    private final InetSocketAddress clientAddress;

    RemotedSocket(WebRouteConnection connection, InetSocketAddress clientAddress) {
        this.connection = connection;
        this.clientAddress = clientAddress;
    }

    /** The client's address as the gateway saw it, or null when the notification carried none. */
    public InetSocketAddress clientAddress() {
        return clientAddress;
    }

    public InputStream getInputStream() {
        return connection.input();
    }

    public OutputStream getOutputStream() {
        return connection.output();
    }

    /** The socket to the gateway (for options such as timeouts). */
    public Socket socket() {
        return connection.socket();
    }

    public String id() {
        return connection.id();
    }

    public void shutdownOutput() throws IOException {
        connection.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        connection.close();
    }
}

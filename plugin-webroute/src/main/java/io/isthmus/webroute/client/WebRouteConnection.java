package io.isthmus.webroute.client;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Optional;

/**
 * A linked WebRoute connection: after the 101, a plain byte stream to the partner.
 *
 * @param socket    the socket of the last hop (an SSLSocket for wrs://; for chained hops it wraps the
 *                  first hop's connection)
 * @param input     the partner's bytes, starting with any that arrived in the same read as the 101
 * @param output    bytes to the partner
 * @param id        the WebRoute-ID used (generated when none was given)
 * @param nextUrl   the first URL of a chain that is not wr:// or wrs://, not connected: the caller speaks
 *                  that protocol through the tunnel (the reference SDK's {@code result["url"]})
 */
public record WebRouteConnection(Socket socket, InputStream input, OutputStream output, String id,
                                 Optional<String> nextUrl) implements Closeable {

    /** Ends the output (a FIN to the partner) while the input stays open. */
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}

package io.isthmus.remoted.cli;

import io.isthmus.core.config.HostPort;
import io.isthmus.remoted.sdk.RemotedServerSocket;
import io.isthmus.remoted.sdk.RemotedSocket;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code isthmus remoted expose --server rws://KEY@GW/path --to 127.0.0.1:PORT}: registers the path and
 * turns every remoted client into a TCP connection to the local service. Runs until interrupted.
 */
@Command(name = "expose", mixinStandardHelpOptions = true,
        description = "Register a path at a gateway; each remoted client becomes a connection to a local service.")
final class ExposeCommand implements Callable<Integer> {

    @ParentCommand
    RemotedCommand parent;

    @Option(names = "--server", required = true, paramLabel = "rws://KEY@GATEWAY/PATH",
            description = "where to register (rwss:// for TLS)")
    String server;

    @Option(names = "--to", required = true, paramLabel = "HOST:PORT", description = "the local service, e.g. 127.0.0.1:8000")
    String to;

    @Override
    public Integer call() {
        HostPort target;
        try {
            target = HostPort.parse(to);
        } catch (IllegalArgumentException e) {
            parent.stderr.println("remoted: --to: " + e.getMessage());
            return 2;
        }
        try (RemotedServerSocket socket = RemotedServerSocket.open(server)) {
            parent.stderr.println("remoted: exposing " + to + " at " + server.replaceFirst("//[^@]*@", "//…@"));
            while (!Thread.currentThread().isInterrupted()) {
                RemotedSocket client = socket.accept();
                Thread t = new Thread(() -> serve(client, target), "remoted-expose");
                t.setDaemon(true);
                t.start();
            }
            return 0;
        } catch (InterruptedException | SocketException e) {
            return 0;
        } catch (IOException e) {
            parent.stderr.println("remoted: " + e.getMessage());
            return 1;
        }
    }

    private void serve(RemotedSocket client, HostPort target) {
        try (client; Socket local = new Socket(target.host(), target.port())) {
            local.setTcpNoDelay(true);
            TwoWayCopy.run(client.getInputStream(), client::shutdownOutput, client.getOutputStream(),
                    local.getInputStream(), local::shutdownOutput, local.getOutputStream());
        } catch (IOException e) {
            parent.stderr.println("remoted: client " + client.clientAddress() + ": " + e.getMessage());
        }
    }
}

package io.isthmus.remoted.cli;

import io.isthmus.webroute.client.StreamBridge;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Copies both ways between two connections of the command-line tools (not the gateway, whose splice
 * engine does this), passing each end of input on as a half-close, and returns when both directions ended.
 */
final class TwoWayCopy {

    /** Ends a connection's output. */
    interface HalfClose {
        void run() throws IOException;
    }

    private TwoWayCopy() {
    }

    static void run(InputStream aIn, HalfClose aEnd, OutputStream aOut, InputStream bIn, HalfClose bEnd, OutputStream bOut)
            throws IOException {
        Thread other = new Thread(() -> {
            try {
                StreamBridge.copy(bIn, aOut);
                aEnd.run();
            } catch (IOException ignored) {
                // The other direction notices the broken connection too and ends the pair.
            }
        }, "remoted-copy");
        other.setDaemon(true);
        other.start();
        try {
            StreamBridge.copy(aIn, bOut);
            bEnd.run();
            other.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

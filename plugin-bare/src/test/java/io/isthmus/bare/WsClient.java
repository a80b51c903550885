package io.isthmus.bare;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The JDK's WebSocket client, collecting whole messages with their type ("text:..." or "binary:<n> bytes"). */
final class WsClient implements AutoCloseable {

    final WebSocket socket;
    final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    final BlockingQueue<String> ends = new LinkedBlockingQueue<>();

    private WsClient(String url, String... subprotocols) throws Exception {
        WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        if (subprotocols.length > 0) {
            String[] rest = new String[subprotocols.length - 1];
            System.arraycopy(subprotocols, 1, rest, 0, rest.length);
            b.subprotocols(subprotocols[0], rest);
        }
        socket = b.buildAsync(URI.create(url), new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();
            private int binary;

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                    messages.add("text:" + text);
                    text.setLength(0);
                }
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                binary += data.remaining();
                if (last) {
                    messages.add("binary:" + binary);
                    binary = 0;
                }
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
                ends.add("close:" + status);
                return null;
            }

            @Override
            public void onError(WebSocket ws, Throwable error) {
                ends.add("error:" + error);
            }
        }).get(10, TimeUnit.SECONDS);
    }

    static WsClient open(String url, String... subprotocols) throws Exception {
        return new WsClient(url, subprotocols);
    }

    String next() throws InterruptedException {
        String m = messages.poll(10, TimeUnit.SECONDS);
        if (m == null) {
            throw new AssertionError("no message within 10 s; ends: " + ends);
        }
        return m;
    }

    String end() throws InterruptedException {
        String e = ends.poll(15, TimeUnit.SECONDS);
        if (e == null) {
            throw new AssertionError("the socket did not end within 15 s");
        }
        return e;
    }

    @Override
    public void close() {
        socket.abort();
    }
}

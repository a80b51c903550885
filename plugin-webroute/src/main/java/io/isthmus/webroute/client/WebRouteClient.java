package io.isthmus.webroute.client;

import io.isthmus.webroute.handshake.WebRouteAccept;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Connects to a WebRoute server and waits for the link, as the reference client does: it sends the
 * upgrade request, accepts only a 101 whose {@code Sec-WebRoute-Accept} matches the ID, and returns the
 * socket as a byte stream to the partner.
 *
 * <p>A chain ({@code "wr://a/x wr://b/y"}, URLs separated by whitespace) sends each hop's request through
 * the tunnel of the previous hop; the first URL that is not wr:// or wrs:// ends the chain and is handed
 * back unconnected. Blocking: each call uses the calling thread.
 */
public final class WebRouteClient {

    private static final String ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    // 64 characters from 62 symbols: about 381 bits, as many as the reference client's own IDs.
    private static final int GENERATED_ID_LENGTH = 64;
    private static final int MAX_RESPONSE_HEAD = 64 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String id;
    private final Integer timeoutSeconds;
    private final Duration connectTimeout;
    private final Duration linkWait;
    private final SSLSocketFactory tls;
    private final String extraHeaders;

    private WebRouteClient(Builder b) {
        this.extraHeaders = b.headers.toString();
        this.id = b.id;
        this.timeoutSeconds = b.timeoutSeconds;
        this.connectTimeout = b.connectTimeout;
        this.linkWait = b.linkWait;
        this.tls = b.tls;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A new random ID: 64 characters of [0-9A-Za-z] from {@link SecureRandom}. */
    public static String randomId() {
        StringBuilder s = new StringBuilder(GENERATED_ID_LENGTH);
        for (int i = 0; i < GENERATED_ID_LENGTH; i++) {
            s.append(ALPHANUMERIC.charAt(RANDOM.nextInt(ALPHANUMERIC.length())));
        }
        return s.toString();
    }

    /** Connects {@code uris} (one URL, or a whitespace-separated chain) and waits for the link. */
    public WebRouteConnection connect(String uris) throws IOException {
        List<String> urls = Arrays.stream(uris.strip().split("\\s+")).filter(s -> !s.isEmpty()).toList();
        if (urls.isEmpty() || !WebRouteUri.isWebRoute(urls.get(0))) {
            throw new WebRouteException("protocol_check", "the first URL must be wr:// or wrs://: " + uris);
        }
        String useId = id != null ? id : randomId();
        Socket socket = null;
        InputStream in = null;
        OutputStream out = null;
        Optional<String> next = Optional.empty();
        try {
            for (String url : urls) {
                if (!WebRouteUri.isWebRoute(url)) {
                    next = Optional.of(url);
                    break;
                }
                WebRouteUri hop = WebRouteUri.parse(url);
                if (socket == null) {
                    socket = new Socket();
                    socket.setTcpNoDelay(true);
                    socket.connect(new InetSocketAddress(hop.host(), hop.port()), (int) connectTimeout.toMillis());
                    in = socket.getInputStream();
                } else if (hop.tls() && in instanceof PrefixedInputStream p && p.hasPrefixLeft()) {
                    throw new WebRouteException("incorrect_server_response",
                            "the previous hop sent bytes before the TLS handshake of " + url);
                }
                if (hop.tls()) {
                    socket = startTls(socket, hop);
                    in = socket.getInputStream();
                }
                out = socket.getOutputStream();
                in = handshake(socket, in, out, hop, useId);
            }
            socket.setSoTimeout(0);
            return new WebRouteConnection(socket, in, out, useId, next);
        } catch (IOException | RuntimeException e) {
            if (socket != null) {
                socket.close();
            }
            if (e instanceof WebRouteException || !(e instanceof IOException)) {
                throw e;
            }
            throw new WebRouteException("connect_failed", e.toString(), e);
        }
    }

    private Socket startTls(Socket under, WebRouteUri hop) throws IOException {
        SSLSocketFactory factory = tls != null ? tls : (SSLSocketFactory) SSLSocketFactory.getDefault();
        SSLSocket ssl = (SSLSocket) factory.createSocket(under, hop.host(), hop.port(), true);
        var params = ssl.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        ssl.setSSLParameters(params);
        ssl.setSoTimeout((int) connectTimeout.toMillis());
        ssl.startHandshake();
        return ssl;
    }

    /** Sends the request of one hop and reads its response; returns the stream positioned after the 101. */
    private InputStream handshake(Socket socket, InputStream in, OutputStream out, WebRouteUri hop, String useId)
            throws IOException {
        byte[] idBytes = useId.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(("GET " + hop.pathWithQuery() + " HTTP/1.1\r\n"
                + "Host: " + hop.hostHeader() + "\r\n"
                + "Connection: keep-alive, Upgrade\r\n"
                + "User-Agent: isthmus-webroute\r\n"
                + extraHeaders
                + "WebRoute-Version: 1\r\n"
                + "WebRoute-ID: ").getBytes(StandardCharsets.UTF_8));
        request.writeBytes(idBytes);
        request.writeBytes(("\r\n"
                + (timeoutSeconds == null ? "" : "WebRoute-Timeout: " + timeoutSeconds + "\r\n")
                + "Upgrade: webroute\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(request.toByteArray());
        out.flush();

        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, linkWait.toMillis()));
        byte[] buf = new byte[8192];
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        int headEnd;
        while ((headEnd = headEnd(received.toByteArray())) < 0) {
            if (received.size() > MAX_RESPONSE_HEAD) {
                throw new WebRouteException("incorrect_server_response", "response head too large");
            }
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                throw new WebRouteException("connect_failed", "no link within " + linkWait.toSeconds() + "s", e);
            }
            if (n < 0) {
                throw new WebRouteException("incorrect_server_response",
                        "connection closed before a response (" + received.size() + " bytes)");
            }
            received.write(buf, 0, n);
        }
        byte[] all = received.toByteArray();
        checkResponse(new String(all, 0, headEnd, StandardCharsets.ISO_8859_1), WebRouteAccept.of(idBytes));
        byte[] surplus = Arrays.copyOfRange(all, headEnd, all.length);
        return new PrefixedInputStream(surplus, in);
    }

    /** The length of the head (final empty line included) once it is complete, else -1. Bare LF accepted. */
    static int headEnd(byte[] data) {
        for (int i = 0; i < data.length; i++) {
            if (data[i] != '\n') {
                continue;
            }
            if (i + 1 < data.length && data[i + 1] == '\n') {
                return i + 2;
            }
            if (i + 2 < data.length && data[i + 1] == '\r' && data[i + 2] == '\n') {
                return i + 3;
            }
        }
        return -1;
    }

    /** The reference client's checks: status 101, and the accept header (any name case) equal to ours. */
    static void checkResponse(String head, String expectedAccept) throws WebRouteException {
        String[] lines = head.split("\r?\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/") || !status[1].equals("101")) {
            throw new WebRouteException("incorrect_server_response", "expected 101, got: " + lines[0]);
        }
        String accept = null;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0 && lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT).equals("sec-webroute-accept")) {
                accept = lines[i].substring(colon + 1).strip();
            }
        }
        if (accept == null) {
            throw new WebRouteException("missing_server_webroute_accept_header", "no Sec-WebRoute-Accept in the 101");
        }
        if (!accept.equals(expectedAccept)) {
            throw new WebRouteException("invalid_server_webroute_accept_header", "Sec-WebRoute-Accept does not match the ID");
        }
    }

    /** Options of a {@link WebRouteClient}. */
    public static final class Builder {
        private String id;
        private Integer timeoutSeconds;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration linkWait = Duration.ofSeconds(75);
        private SSLSocketFactory tls;
        private final StringBuilder headers = new StringBuilder();

        /**
         * Adds a request header to every hop (Remoted's {@code X-Remoted-APIKey}); a name or value with a
         * line break or control character is refused.
         */
        public Builder header(String name, String value) {
            if (!name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+") || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new IllegalArgumentException("not a valid header: " + name);
            }
            headers.append(name).append(": ").append(value).append("\r\n");
            return this;
        }

        /** The WebRoute-ID; a random one ({@link #randomId()}) when not set. */
        public Builder id(String id) {
            this.id = id;
            return this;
        }

        /** Sends {@code WebRoute-Timeout}: the idle timeout this side asks for once linked (whole seconds). */
        public Builder timeout(Duration timeout) {
            this.timeoutSeconds = timeout == null ? null : (int) Math.min(Integer.MAX_VALUE, timeout.toSeconds());
            return this;
        }

        /** Time to establish each TCP connection and TLS handshake. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        /**
         * How long to wait for each hop's response. The server answers a lone waiter with a 504 after its
         * own default (60 s for the reference), so the default waits a little longer than that.
         */
        public Builder linkWait(Duration wait) {
            this.linkWait = wait;
            return this;
        }

        /** TLS for wrs:// hops; the JVM's default trust when not set. */
        public Builder tls(SSLSocketFactory factory) {
            this.tls = factory;
            return this;
        }

        public WebRouteClient build() {
            return new WebRouteClient(this);
        }
    }
}

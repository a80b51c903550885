package io.isthmus.remoted.sdk;

import io.isthmus.webroute.client.WebRouteClient;
import io.isthmus.webroute.client.WebRouteConnection;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocketFactory;

/**
 * Connects to a remoted server: {@code rwr://KEY@gateway/path} (or {@code rwrs://}), optionally followed by
 * more hops separated by whitespace, as the reference SDK's chains: each further rwr/rwrs hop travels
 * through the previous tunnel, and the first URL of another scheme is returned unconnected in
 * {@link WebRouteConnection#nextUrl()}.
 */
public final class RemotedClient {

    private RemotedClient() {
    }

    /** @param idleTimeout the {@code WebRoute-Timeout} to ask for once linked, or null for the server's default */
    public static WebRouteConnection connect(String chain, Duration idleTimeout) throws IOException {
        return connect(chain, idleTimeout, null);
    }

    public static WebRouteConnection connect(String chain, Duration idleTimeout, SSLSocketFactory tls) throws IOException {
        String[] urls = chain.strip().split("\\s+");
        RemotedUrl first = RemotedUrl.parse(urls[0], "rwr", "rwrs");
        List<String> hops = new ArrayList<>();
        hops.add(first.webRouteUrl());
        for (int i = 1; i < urls.length; i++) {
            String lower = urls[i].toLowerCase(java.util.Locale.ROOT);
            hops.add(lower.startsWith("rwr://") || lower.startsWith("rwrs://")
                    ? RemotedUrl.parse(urls[i], "rwr", "rwrs").webRouteUrl() : urls[i]);
        }
        WebRouteClient.Builder client = WebRouteClient.builder().header("X-Remoted-APIKey", first.key());
        if (idleTimeout != null) {
            client.timeout(idleTimeout);
        }
        if (tls != null) {
            client.tls(tls);
        }
        return client.build().connect(String.join(" ", hops));
    }

    /** Whether {@code url} is a Remoted client URL (rwr:// or rwrs://, any case), as the reference's IsRemoted. */
    public static boolean isRemoted(String url) {
        String lower = url.strip().toLowerCase(java.util.Locale.ROOT);
        return lower.startsWith("rwr://") || lower.startsWith("rwrs://");
    }
}

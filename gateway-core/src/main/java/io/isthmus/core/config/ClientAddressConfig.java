package io.isthmus.core.config;

import static io.isthmus.core.config.ConfigValueException.require;

import io.isthmus.core.egress.Cidr;
import java.util.List;
import java.util.Set;

/**
 * Where the gateway learns a client's real address when it sits behind load balancers: the PROXY
 * protocol header (v1 or v2) that {@code proxyProtocolSources} put in front of a connection, and the
 * forwarding headers ({@code forwardedHeaders}, in order of preference) believed from
 * {@code isthmus.trusted-proxies}. Keys: {@code isthmus.client-address}.
 *
 * @param proxyProtocolSources CIDRs whose connections may (and, with {@code proxyProtocolRequired}, must)
 *                             start with a PROXY header; a header from any other peer closes the connection
 * @param proxyProtocolRequired from a listed source, a connection without a PROXY header is closed
 * @param forwardedHeaders     {@code x-forwarded-for}, {@code forwarded} (RFC 7239), {@code x-real-ip}
 */
public record ClientAddressConfig(List<String> proxyProtocolSources, boolean proxyProtocolRequired,
                                  List<String> forwardedHeaders) {

    public static final Set<String> HEADERS = Set.of("x-forwarded-for", "forwarded", "x-real-ip");

    public ClientAddressConfig {
        proxyProtocolSources = List.copyOf(proxyProtocolSources);
        forwardedHeaders = forwardedHeaders.stream().map(h -> h.toLowerCase(java.util.Locale.ROOT)).toList();
        for (int i = 0; i < proxyProtocolSources.size(); i++) {
            try {
                Cidr.parse(proxyProtocolSources.get(i));
            } catch (IllegalArgumentException e) {
                throw new ConfigValueException("proxy-protocol-sources[" + i + "]", e.getMessage());
            }
        }
        for (int i = 0; i < forwardedHeaders.size(); i++) {
            require(HEADERS.contains(forwardedHeaders.get(i)), "forwarded-headers[" + i + "]",
                    "must be one of x-forwarded-for, forwarded, x-real-ip");
        }
        require(forwardedHeaders.stream().distinct().count() == forwardedHeaders.size(), "forwarded-headers",
                "lists a header twice");
    }
}

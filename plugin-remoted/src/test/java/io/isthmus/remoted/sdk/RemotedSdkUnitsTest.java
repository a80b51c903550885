package io.isthmus.remoted.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.webroute.client.WebRouteException;
import org.junit.jupiter.api.Test;

/** URL and notification parsing of the SDK, as the reference SDK reads them. */
class RemotedSdkUnitsTest {

    @Test
    void urlsCarryTheirKeyHostPortAndPath() throws WebRouteException {
        RemotedUrl u = RemotedUrl.parse("rws://my%20key:ignored@gw.example:8080/test/path/?a=1", "rws", "rwss");
        assertThat(u.key()).isEqualTo("my key");
        assertThat(u.webSocketUri().toString()).isEqualTo("ws://gw.example:8080/test/path/?a=1");
        assertThat(u.webRouteUrl()).isEqualTo("wr://gw.example:8080/test/path/?a=1");
        assertThat(u.origin()).isEqualTo("http://gw.example");
        assertThat(u.toString()).doesNotContain("my");
        RemotedUrl tls = RemotedUrl.parse("RWRS://k@gw/p", "rwr", "rwrs");
        assertThat(tls.tls()).isTrue();
        assertThat(tls.webRouteUrl()).isEqualTo("wrs://gw:443/p");
    }

    @Test
    void aUrlWithoutKeyOrWithTheWrongSchemeIsRefused() {
        assertThatThrownBy(() -> RemotedUrl.parse("rwr://127.0.0.1/test/", "rwr", "rwrs"))
                .isInstanceOfSatisfying(WebRouteException.class, e -> assertThat(e.error()).isEqualTo("missing_client_key"));
        assertThatThrownBy(() -> RemotedUrl.parse("rws://127.0.0.1/test/", "rws", "rwss"))
                .isInstanceOfSatisfying(WebRouteException.class, e -> assertThat(e.error()).isEqualTo("missing_server_key"));
        assertThatThrownBy(() -> RemotedUrl.parse("http://k@127.0.0.1/test/", "rwr", "rwrs"))
                .isInstanceOfSatisfying(WebRouteException.class, e -> assertThat(e.error()).isEqualTo("invalid_scheme"));
        assertThat(RemotedClient.isRemoted("RWR://k@h/p")).isTrue();
        assertThat(RemotedClient.isRemoted("https://h/p")).isFalse();
    }

    @Test
    void notificationsAreReadLikeTheReferenceSdk() {
        Notification n = Notification.parse("{\"ipaddr\":\"127.0.0.1:40550\",\"id\":\"CLIENTID1\",\"timeout\":90}").orElseThrow();
        assertThat(n.id()).isEqualTo("CLIENTID1");
        assertThat(n.timeoutSeconds()).isEqualTo(90);
        assertThat(n.client().getHostString()).isEqualTo("127.0.0.1");
        assertThat(n.client().getPort()).isEqualTo(40550);
        Notification v6 = Notification.parse("{\"ipaddr\":\"[::1]:5\",\"id\":\"X\",\"timeout\":\"soon\"}").orElseThrow();
        assertThat(v6.client().getHostString()).isEqualTo("::1");
        assertThat(v6.timeoutSeconds()).isNull();
        assertThat(Notification.parse("{\"ipaddr\":\"1.2.3.4:5\",\"id\":\"X\"}")).isEmpty();
        assertThat(Notification.parse("not json")).isEmpty();
    }
}

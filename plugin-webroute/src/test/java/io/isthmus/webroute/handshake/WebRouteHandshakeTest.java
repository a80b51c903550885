package io.isthmus.webroute.handshake;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.http.RequestHead;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

/** The reference's checks and their order, on decoded heads. */
class WebRouteHandshakeTest {

    static RequestHead head(String method, String target, String... fields) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (int i = 0; i < fields.length; i += 2) {
            headers.add(fields[i], fields[i + 1]);
        }
        return new RequestHead(method, target, "HTTP/1.1", headers);
    }

    static RequestHead valid(String... extra) {
        String[] base = {"Host", "h", "Connection", "keep-alive, Upgrade", "Upgrade", "webroute",
                "WebRoute-Version", "1", "WebRoute-ID", "abc"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return head("GET", "/test?accesskey=1", all);
    }

    @Test
    void aValidRequestKeepsTargetIdAndTimeout() {
        var v = WebRouteHandshake.check(valid("WebRoute-Timeout", "90"));
        assertThat(v).isEqualTo(new WebRouteRequest("/test?accesskey=1", "abc", "90"));
        assertThat(((WebRouteRequest) v).key().path()).isEqualTo("/test");
    }

    @Test
    void theMethodIsCheckedFirst() {
        var v = WebRouteHandshake.check(head("POST", "/x"));
        assertThat(v).isEqualTo(new Refusal("method_not_allowed", "HTTP/1.1 405 Method Not Allowed\r\n\r\n"));
        assertThat(WebRouteHandshake.check(head("get", "/x"))).isInstanceOf(Refusal.class);
    }

    @Test
    void missingPartsGet400BeforeTheVersionIsLookedAt() {
        String bad = "HTTP/1.1 400 Bad Request\r\n\r\n";
        assertThat(WebRouteHandshake.check(head("GET", "/", "Connection", "upgrade", "Upgrade", "webroute", "WebRoute-ID", "x")))
                .isEqualTo(new Refusal("missing_host", bad));
        assertThat(WebRouteHandshake.check(head("GET", "/", "Host", "h", "Connection", "keep-alive", "Upgrade", "webroute", "WebRoute-ID", "x")))
                .isEqualTo(new Refusal("not_an_upgrade", bad));
        assertThat(WebRouteHandshake.check(head("GET", "/", "Host", "h", "Connection", "upgrade", "Upgrade", "websocket", "WebRoute-ID", "x")))
                .isEqualTo(new Refusal("not_a_webroute_upgrade", bad));
        assertThat(WebRouteHandshake.check(head("GET", "/", "Host", "h", "Connection", "upgrade", "Upgrade", "webroute")))
                .isEqualTo(new Refusal("missing_id", bad));
    }

    @Test
    void versionIsComparedLooselyAsPhpDoes() {
        String upgradeRequired = "HTTP/1.1 426 Upgrade Required\r\nWebRoute-Version: 1\r\n\r\n";
        RequestHead noVersion = head("GET", "/", "Host", "h", "Connection", "upgrade", "Upgrade", "webroute", "WebRoute-ID", "x");
        assertThat(WebRouteHandshake.check(noVersion)).isEqualTo(new Refusal("unsupported_version", upgradeRequired));
        RequestHead two = head("GET", "/", "Host", "h", "Connection", "upgrade", "Upgrade", "webroute", "WebRoute-ID", "x", "WebRoute-Version", "2");
        assertThat(WebRouteHandshake.check(two)).isInstanceOf(Refusal.class);
        RequestHead oneDotZero = head("GET", "/", "Host", "h", "Connection", "upgrade", "Upgrade", "webroute", "WebRoute-ID", "x", "WebRoute-Version", "1.0");
        assertThat(WebRouteHandshake.check(oneDotZero)).isInstanceOf(WebRouteRequest.class);
    }

    @Test
    void namesMatchAsTheReferenceNormalisesThem() {
        RequestHead odd = head("GET", "", "HOST", "h", "connection", "UPGRADE", "upgrade", "x-WebRoute-y",
                "webroute_version", "01", "webroute.id", "first", "WEBROUTE-ID", "last");
        var v = WebRouteHandshake.check(odd);
        assertThat(v).isEqualTo(new WebRouteRequest("/", "last", null));
    }

    @Test
    void anEmptyIdIsAccepted() {
        RequestHead empty = head("GET", "/", "Host", "h", "Connection", "upgrade", "Upgrade", "webroute",
                "WebRoute-Version", "1", "WebRoute-ID", "");
        assertThat(WebRouteHandshake.check(empty)).isEqualTo(new WebRouteRequest("/", "", null));
    }
}

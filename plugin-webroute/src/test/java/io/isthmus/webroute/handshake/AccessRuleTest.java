package io.isthmus.webroute.handshake;

import static io.isthmus.webroute.handshake.WebRouteHandshakeTest.head;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AccessRuleTest {

    @Test
    void openLetsEveryonePass() {
        assertThat(AccessRule.open().permits(head("GET", "/"))).isTrue();
    }

    @Test
    void queryParameterMustMatchExactlyAfterDecoding() {
        AccessRule rule = AccessRule.queryParameter("accesskey", "s3cr&t");
        assertThat(rule.permits(head("GET", "/t?accesskey=s3cr%26t"))).isTrue();
        assertThat(rule.permits(head("GET", "/t?x=1&accesskey=wrong&accesskey=s3cr%26t"))).isTrue();
        assertThat(rule.permits(head("GET", "/t?accesskey=s3cr%26t&accesskey=wrong"))).isFalse();
        assertThat(rule.permits(head("GET", "/t?accesskey=s3cr"))).isFalse();
        assertThat(rule.permits(head("GET", "/t"))).isFalse();
        assertThat(rule.permits(head("GET", "/t?accesskey"))).isFalse();
        assertThat(rule.permits(head("GET", "/t?accesskey=%zz"))).isFalse();
        assertThat(rule.permits(head("GET", "/t", "accesskey", "s3cr&t"))).as("a header does not count").isFalse();
    }

    @Test
    void headerMustMatch() {
        AccessRule rule = AccessRule.header("X-WebRoute-Key", "k");
        assertThat(rule.permits(head("GET", "/", "x-webroute-key", "k"))).isTrue();
        assertThat(rule.permits(head("GET", "/", "x-webroute-key", "K"))).isFalse();
        assertThat(rule.permits(head("GET", "/?X-WebRoute-Key=k"))).isFalse();
        assertThat(rule.toString()).doesNotContain("k\"").isEqualTo("header X-WebRoute-Key");
    }
}

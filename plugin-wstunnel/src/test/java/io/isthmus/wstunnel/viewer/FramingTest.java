package io.isthmus.wstunnel.viewer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Where responses, chunked bodies and targets end or split, byte by byte and in one piece. */
class FramingTest {

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    /** Feeds {@code text} one byte at a time; returns the bytes taken and the result. */
    private static String byteByByte(ResponseFraming f, String text) {
        int taken = 0;
        for (int i = 0; i < text.length() && f.result() == ResponseFraming.Result.MORE; i++) {
            ByteBuf b = ascii(text.substring(i, i + 1));
            taken += f.scan(b);
            b.release();
        }
        return taken + " " + f.result();
    }

    @Test
    void lengthChunkedHeadAndInterimResponsesEndWhereTheyShould() {
        String len = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        assertThat(byteByByte(new ResponseFraming(false, false), len + "NEXT")).isEqualTo(len.length() + " COMPLETE");
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nTrailer: 1\r\n\r\n";
        assertThat(byteByByte(new ResponseFraming(false, false), chunked + "X")).isEqualTo(chunked.length() + " COMPLETE");
        String head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
        assertThat(byteByByte(new ResponseFraming(true, false), head + "X")).isEqualTo(head.length() + " COMPLETE");
        String interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
        assertThat(byteByByte(new ResponseFraming(false, false), interim + "X")).isEqualTo(interim.length() + " COMPLETE");
        String bareLf = "HTTP/1.1 200 OK\nContent-Length: 2\n\nok";
        assertThat(byteByByte(new ResponseFraming(false, false), bareLf)).isEqualTo(bareLf.length() + " COMPLETE");
    }

    @Test
    void wholeBuffersAreCutAtTheEndAndKeepAliveIsRead() {
        ResponseFraming f = new ResponseFraming(false, false);
        ByteBuf b = ascii("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA");
        assertThat(f.scan(b)).isEqualTo(b.readableBytes() - 5);
        assertThat(f.result()).isEqualTo(ResponseFraming.Result.COMPLETE);
        assertThat(f.keepAlive()).isFalse();
        b.release();
        ResponseFraming close = new ResponseFraming(false, false);
        ByteBuf c = ascii("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
        assertThat(close.scan(c)).isEqualTo(c.readableBytes());
        assertThat(close.result()).isEqualTo(ResponseFraming.Result.MORE);
        assertThat(close.delimitedByEnd()).isTrue();
        c.release();
    }

    @Test
    void aSwitchToAnUpgradeRequestGoesRawAndGarbageIsBroken() {
        ResponseFraming up = new ResponseFraming(false, true);
        ByteBuf b = ascii("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\u0081\u0002hi");
        assertThat(up.scan(b)).isEqualTo(b.readableBytes());
        assertThat(up.result()).isEqualTo(ResponseFraming.Result.UPGRADED);
        b.release();
        ResponseFraming bad = new ResponseFraming(false, false);
        ByteBuf g = ascii("SSH-2.0-OpenSSH\r\n");
        bad.scan(g);
        assertThat(bad.result()).isEqualTo(ResponseFraming.Result.BROKEN);
        g.release();
    }

    @Test
    void chunkedRequestBodiesEndAtTheLastChunk() {
        ChunkedBody body = new ChunkedBody();
        ByteBuf b = ascii("3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n");
        assertThat(body.scan(b)).isEqualTo("3\r\nabc\r\n0\r\n\r\n".length());
        assertThat(body.done()).isTrue();
        b.release();
        ChunkedBody broken = new ChunkedBody();
        ByteBuf x = ascii("zz\r\n");
        broken.scan(x);
        assertThat(broken.broken()).isTrue();
        x.release();
    }

    @Test
    void targetsSplitIntoIdAndForwardedTarget() {
        assertThat(ViewerTarget.of("/wst", "/wst/c1/some/path?a=b")).isEqualTo(new ViewerTarget("c1", "/some/path?a=b"));
        assertThat(ViewerTarget.of("/wst", "/wst/c1")).isEqualTo(new ViewerTarget("c1", "/"));
        assertThat(ViewerTarget.of("/wst", "/wst/c1/")).isEqualTo(new ViewerTarget("c1", "/"));
        assertThat(ViewerTarget.of("/wst", "/wst/c1?x=1")).isEqualTo(new ViewerTarget("c1", "/?x=1"));
        assertThat(ViewerTarget.of("", "/c2/a/b%20c?q=1&r=%2F")).isEqualTo(new ViewerTarget("c2", "/a/b%20c?q=1&r=%2F"));
        assertThat(ViewerTarget.decodedPath("/c2/a/b%20c+d?q=%2F")).isEqualTo("/c2/a/b c+d");
        assertThat(ViewerTarget.decodedPath("/bad%zz")).isEqualTo("/bad%zz");
    }
}

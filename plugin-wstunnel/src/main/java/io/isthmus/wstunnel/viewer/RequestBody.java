package io.isthmus.wstunnel.viewer;

import io.isthmus.core.http.RequestHead;
import io.netty.buffer.ByteBuf;

/**
 * Where a viewer's request body ends (Content-Length, chunked, or none), so that only this request's bytes
 * go into its stream and a pipelined next request waits for its own. The front door's parser has already
 * refused ambiguous framings (CL with TE, differing lengths).
 */
final class RequestBody {

    private final ChunkedBody chunked;
    private long remaining;

    private RequestBody(ChunkedBody chunked, long remaining) {
        this.chunked = chunked;
        this.remaining = remaining;
    }

    static RequestBody of(RequestHead head) {
        if (head.headerHasToken("transfer-encoding", "chunked")) {
            return new RequestBody(new ChunkedBody(), 0);
        }
        String length = head.header("content-length");
        return new RequestBody(null, length == null ? 0 : Long.parseLong(length.trim()));
    }

    boolean done() {
        return chunked == null ? remaining == 0 : chunked.done() || chunked.broken();
    }

    /** How many bytes of {@code buf} (from its reader index) belong to the body. */
    int scan(ByteBuf buf) {
        if (chunked != null) {
            return chunked.scan(buf);
        }
        int take = (int) Math.min(remaining, buf.readableBytes());
        remaining -= take;
        return take;
    }
}

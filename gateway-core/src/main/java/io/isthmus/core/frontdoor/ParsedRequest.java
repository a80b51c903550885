package io.isthmus.core.frontdoor;

import io.isthmus.core.http.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.util.AbstractReferenceCounted;

/** The message the head reader passes to the router: a head and the bytes that came behind it. */
final class ParsedRequest extends AbstractReferenceCounted {

    final RequestHead head;
    final ByteBuf leftover;

    ParsedRequest(RequestHead head, ByteBuf leftover) {
        this.head = head;
        this.leftover = leftover;
    }

    @Override
    protected void deallocate() {
        leftover.release();
    }

    @Override
    public ParsedRequest touch(Object hint) {
        leftover.touch(hint);
        return this;
    }
}

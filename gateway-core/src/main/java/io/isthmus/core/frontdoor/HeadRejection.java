package io.isthmus.core.frontdoor;

import io.netty.handler.codec.http.HttpResponseStatus;

/** Why the front door refused a request head: the HTTP status, a low-cardinality metric reason, a short text. */
public record HeadRejection(HttpResponseStatus status, String reason, String message) {

    static HeadRejection badRequest(String reason, String message) {
        return new HeadRejection(HttpResponseStatus.BAD_REQUEST, reason, message);
    }

    static HeadRejection tooLarge(String reason, String message) {
        return new HeadRejection(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, reason, message);
    }
}

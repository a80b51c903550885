package io.isthmus.webroute.client;

import java.io.IOException;

/**
 * A WebRoute connect that failed, with the reference client's error name where it has one:
 * {@code protocol_check} (not a wr:// or wrs:// URL), {@code incorrect_server_response} (no 101),
 * {@code missing_server_webroute_accept_header}, {@code invalid_server_webroute_accept_header};
 * {@code connect_failed} otherwise.
 */
public final class WebRouteException extends IOException {

    private final String error;

    public WebRouteException(String error, String message) {
        super(error + ": " + message);
        this.error = error;
    }

    public WebRouteException(String error, String message, Throwable cause) {
        super(error + ": " + message, cause);
        this.error = error;
    }

    /** The reference client's error name. */
    public String error() {
        return error;
    }
}

package io.isthmus.bare;

/**
 * An error as the Bare specification words it (BareServerErrors.md): an HTTP status, a {@code code}, the
 * {@code id} of the object at fault and a message. The reference server answers every one of these with
 * {@code 500 UNKNOWN}; we send the specification's status, which the npm clients accept just the same
 * (they only test {@code response.ok}).
 */
public record BareError(int status, String code, String id, String message) {

    static BareError missing(String header) {
        return new BareError(400, "MISSING_BARE_HEADER", "request.headers." + header, "Header was not specified.");
    }

    static BareError invalid(String id, String message) {
        return new BareError(400, "INVALID_BARE_HEADER", id, message);
    }

    static BareError forbidden(String id, String message) {
        return new BareError(400, "FORBIDDEN_BARE_HEADER", id, message);
    }

    static BareError hostNotFound() {
        return new BareError(500, "HOST_NOT_FOUND", "request", "The specified host could not be resolved.");
    }

    static BareError connectionRefused() {
        return new BareError(500, "CONNECTION_REFUSED", "response", "The remote rejected the request.");
    }

    static BareError connectionReset() {
        return new BareError(500, "CONNECTION_RESET", "response", "The request was forcibly closed.");
    }

    static BareError connectionTimeout() {
        return new BareError(500, "CONNECTION_TIMEOUT", "response", "The response timed out.");
    }

    /** The egress policy refused the remote: not in the specification's table, so an IMPL_ code. */
    static BareError forbiddenRemote(String message) {
        return new BareError(403, "IMPL_FORBIDDEN_REMOTE", "request.headers.x-bare-url", message);
    }

    /** Memory is above its high mark (isthmus.limits.memory): no new request or tunnel; an IMPL_ code. */
    static BareError overloaded() {
        return new BareError(503, "IMPL_OVERLOADED", "error.Overloaded", "The server is short of memory; try again later.");
    }

    static BareError notFound() {
        return new BareError(404, "UNKNOWN", "error.NotFoundError", "Not Found");
    }

    static BareError unknown(String message) {
        return new BareError(500, "UNKNOWN", "error.Exception", message);
    }

    /** The {@code outcome} label of this error in metrics: the code in lower case (a fixed, small set). */
    String outcome() {
        return code.toLowerCase(java.util.Locale.ROOT);
    }

    /** Thrown while a request is read; carries the error to answer with. */
    static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient BareError error;

        Failure(BareError error) {
            super(error.message(), null, false, false);
            this.error = error;
        }
    }

    Failure failure() {
        return new Failure(this);
    }
}

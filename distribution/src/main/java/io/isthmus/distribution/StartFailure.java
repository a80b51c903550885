package io.isthmus.distribution;

/** The gateway could not start for a reason the operator can fix (a port in use); the message says which. */
final class StartFailure extends RuntimeException {

    StartFailure(String message, Throwable cause) {
        super(message, cause);
    }
}

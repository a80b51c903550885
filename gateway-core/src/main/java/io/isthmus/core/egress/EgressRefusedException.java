package io.isthmus.core.egress;

import java.io.IOException;
import java.util.Objects;

/**
 * The failure of a dial the policy refused; carries the {@link EgressRefusal} so that a plugin can tell a
 * refusal (its protocol's "forbidden") from a network failure (its "unreachable").
 */
public final class EgressRefusedException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient EgressRefusal refusal;

    public EgressRefusedException(EgressRefusal refusal) {
        super(Objects.requireNonNull(refusal, "refusal").message());
        this.refusal = refusal;
    }

    public EgressRefusal refusal() {
        return refusal;
    }

    /** Refusals are expected outcomes of client input; a stack trace would only cost time. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}

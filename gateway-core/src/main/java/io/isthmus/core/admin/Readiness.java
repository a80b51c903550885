package io.isthmus.core.admin;

import java.util.function.BooleanSupplier;

/**
 * Whether the gateway should get new traffic: false while starting, once draining has begun, and while
 * the memory guard refuses new work (a load balancer then sends new clients to other instances instead of
 * to refusals here; links already open are not affected).
 */
public final class Readiness {

    private volatile String state = "starting";
    private volatile BooleanSupplier overloaded = () -> false;

    public boolean isReady() {
        return state.equals("ready") && !overloaded.getAsBoolean();
    }

    /** {@code starting}, {@code ready}, {@code memory_pressure} or {@code draining}: the body of /readyz. */
    public String state() {
        String s = state;
        return s.equals("ready") && overloaded.getAsBoolean() ? "memory_pressure" : s;
    }

    public void ready() {
        state = "ready";
    }

    public void draining() {
        state = "draining";
    }

    /** While {@code condition} holds, a ready gateway reports {@code memory_pressure} and is not ready. */
    public void notReadyWhile(BooleanSupplier condition) {
        this.overloaded = condition;
    }
}

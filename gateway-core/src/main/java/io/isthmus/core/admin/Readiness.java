package io.isthmus.core.admin;

/** Whether the gateway should get new traffic: false while starting and once draining has begun. */
public final class Readiness {

    private volatile String state = "starting";

    public boolean isReady() {
        return state.equals("ready");
    }

    public String state() {
        return state;
    }

    public void ready() {
        state = "ready";
    }

    public void draining() {
        state = "draining";
    }
}

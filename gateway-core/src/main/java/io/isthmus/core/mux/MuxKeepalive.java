package io.isthmus.core.mux;

/**
 * How a session notices a dead peer. A small hook so the session does not care how: {@link PingKeepalive}
 * pings on a fixed interval; a shared WebSocket keepalive piece can replace it.
 */
public interface MuxKeepalive {

    /** The session is up; called once on its event loop. */
    void start(MuxSession session);

    /** A pong (or any proof of life the keepalive counts) arrived; on the event loop. */
    void pongReceived();

    /** Some other frame (data, a ping) arrived; a keepalive may count it as proof of life. On the event loop. */
    default void frameReceived() {
    }

    /** The session ended; cancel timers. */
    void stop();

    /** A keepalive that does nothing (tests, protocols with their own). */
    MuxKeepalive NONE = new MuxKeepalive() {
        @Override
        public void start(MuxSession session) {
        }

        @Override
        public void pongReceived() {
        }

        @Override
        public void stop() {
        }
    };
}

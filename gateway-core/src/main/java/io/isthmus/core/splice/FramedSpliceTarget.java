package io.isthmus.core.splice;

import io.netty.channel.Channel;
import io.netty.channel.FileRegion;

/**
 * An endpoint whose protocol frames can carry a payload spliced from a socket through a pipe: the frame's
 * header goes out as bytes and its payload as a {@link FileRegion} that the epoll transport writes with
 * {@code splice(2)}, in order with every other frame on the same connection. A Wisp TCP stream is one: its
 * server-to-client data needs neither masking nor flow control, so the payload need never enter the JVM
 * ({@link FramedKernelRead}).
 *
 * <p>Every method runs on the endpoint's event loop.
 */
public interface FramedSpliceTarget extends Endpoint {

    /**
     * The plain epoll channel the frames go out on, or null where a payload cannot be spliced (TLS, a codec
     * that rewrites the bytes, flow control that must see them, a stream that is not open).
     */
    Channel splicedFrameChannel();

    /** Whether a spliced frame may be written now: the stream is open and nothing it queued waits ahead of it. */
    boolean takesSplicedFrames();

    /** The largest payload of one frame. */
    int maxSplicedPayload();

    /** Queues one frame whose payload is the {@code length} bytes of {@code payload} (owned); flushed by {@link #flush}. */
    void writeSplicedFrame(FileRegion payload, int length);
}

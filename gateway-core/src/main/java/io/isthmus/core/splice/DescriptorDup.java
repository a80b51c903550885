package io.isthmus.core.splice;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;

/**
 * {@code fcntl(F_DUPFD_CLOEXEC)} through JNA (neither Java 17 nor Netty offers {@code dup}): a second
 * descriptor of a socket can sit in the event loop's epoll beside the channel's own registration, so the
 * framed kernel path watches a socket's input while Netty keeps serving its output.
 */
final class DescriptorDup {

    private static final int F_DUPFD_CLOEXEC = 1030;
    private static final String UNAVAILABLE = bind();

    private DescriptorDup() {
    }

    private static String bind() {
        if (!Platform.isLinux()) {
            return "descriptor duplication is used on Linux only";
        }
        try {
            Native.register(DescriptorDup.class, Platform.C_LIBRARY_NAME);
            return null;
        } catch (Throwable e) {
            return "JNA could not bind fcntl: " + e;
        }
    }

    private static native int fcntl(int fd, int command, int argument) throws LastErrorException;

    /** Why descriptors cannot be duplicated here, or null when they can. */
    static String unavailable() {
        return UNAVAILABLE;
    }

    /** A new descriptor of the same open socket (close-on-exec); the caller closes it. */
    static FileDescriptor of(FileDescriptor fd) throws IOException {
        if (UNAVAILABLE != null) {
            throw new IOException(UNAVAILABLE);
        }
        try {
            return new FileDescriptor(fcntl(fd.intValue(), F_DUPFD_CLOEXEC, 0));
        } catch (LastErrorException e) {
            throw new IOException("fcntl(F_DUPFD_CLOEXEC) failed: errno " + e.getErrorCode(), e);
        }
    }
}

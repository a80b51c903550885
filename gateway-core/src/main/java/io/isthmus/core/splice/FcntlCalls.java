package io.isthmus.core.splice;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;

/**
 * The {@code fcntl(2)} commands the kernel paths need, called through JNA: neither Java 17 nor Netty's
 * native library offers them. The pipe-size commands let each {@code splice(2)} move more than the
 * kernel's default 64 KiB; {@code F_DUPFD_CLOEXEC} gives a second descriptor of a socket, which the framed
 * kernel path watches for input beside the channel's own registration. Bound on first use; where JNA
 * cannot load (not Linux, no writable place for its native stub) the calls are unavailable: pipes keep
 * the kernel's size and the framed path is not taken.
 */
final class FcntlCalls {

    private static final int F_SETPIPE_SZ = 1031;
    private static final int F_GETPIPE_SZ = 1032;
    private static final int F_DUPFD_CLOEXEC = 1030;
    private static final String UNAVAILABLE = bind();

    private FcntlCalls() {
    }

    private static String bind() {
        if (!Platform.isLinux()) {
            return "pipe sizes are Linux-only";
        }
        try {
            Native.register(FcntlCalls.class, Platform.C_LIBRARY_NAME);
            return null;
        } catch (Throwable e) {
            // UnsatisfiedLinkError or a class-loading error: whatever it is, the kernel's size still works.
            return "JNA could not bind fcntl: " + e;
        }
    }

    private static native int fcntl(int fd, int command, int argument) throws LastErrorException;

    /** Why the calls cannot be made here, or null when they can. */
    static String unavailable() {
        return UNAVAILABLE;
    }

    /** Asks for {@code bytes} of capacity; returns what the kernel gave (a power-of-two count of pages, at least that). */
    static int resize(FileDescriptor pipe, int bytes) throws IOException {
        return call(pipe, F_SETPIPE_SZ, bytes);
    }

    /** The pipe's capacity in bytes. */
    static int capacity(FileDescriptor pipe) throws IOException {
        return call(pipe, F_GETPIPE_SZ, 0);
    }

    /** A new descriptor of the same open socket (close-on-exec); the caller closes it. */
    static FileDescriptor duplicate(FileDescriptor fd) throws IOException {
        return new FileDescriptor(call(fd, F_DUPFD_CLOEXEC, 0));
    }

    private static int call(FileDescriptor fd, int command, int argument) throws IOException {
        if (UNAVAILABLE != null) {
            throw new IOException(UNAVAILABLE);
        }
        try {
            return fcntl(fd.intValue(), command, argument);
        } catch (LastErrorException e) {
            // On a pipe, EPERM: above fs.pipe-max-size, or the user's pipe-user-pages-soft allowance is spent.
            throw new IOException("fcntl(" + command + ") failed: errno " + e.getErrorCode(), e);
        }
    }
}

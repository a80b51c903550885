package io.isthmus.core.splice;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;

/**
 * {@code fcntl(2)}'s pipe-size commands, called through JNA: neither Java 17 nor Netty's native library
 * offers them, and a bigger pipe lets each {@code splice(2)} move more than the kernel's default 64 KiB.
 * Bound on first use; where JNA cannot load (not Linux, no writable place for its native stub) the calls
 * are unavailable and pipes keep the kernel's size.
 */
final class PipeSizeCall {

    private static final int F_SETPIPE_SZ = 1031;
    private static final int F_GETPIPE_SZ = 1032;
    private static final String UNAVAILABLE = bind();

    private PipeSizeCall() {
    }

    private static String bind() {
        if (!Platform.isLinux()) {
            return "pipe sizes are Linux-only";
        }
        try {
            Native.register(PipeSizeCall.class, Platform.C_LIBRARY_NAME);
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

    private static int call(FileDescriptor pipe, int command, int argument) throws IOException {
        if (UNAVAILABLE != null) {
            throw new IOException(UNAVAILABLE);
        }
        try {
            return fcntl(pipe.intValue(), command, argument);
        } catch (LastErrorException e) {
            // EPERM: above fs.pipe-max-size, or the user's pipe-user-pages-soft allowance is spent.
            throw new IOException("fcntl on a pipe failed: errno " + e.getErrorCode(), e);
        }
    }
}

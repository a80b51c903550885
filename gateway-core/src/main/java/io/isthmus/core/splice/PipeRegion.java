package io.isthmus.core.splice;

import io.netty.channel.FileRegion;
import io.netty.channel.epoll.Native;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.AbstractReferenceCounted;
import java.io.IOException;
import java.nio.channels.WritableByteChannel;

/**
 * The payload of one frame, waiting in a pipe: when the epoll transport writes this region it calls
 * {@link #transferTo}, which splices the bytes from the pipe into the channel's socket. Regions of one pipe
 * sit in the channel's outbound buffer in the order their bytes entered the pipe, so each takes exactly its
 * own. Netty's {@link WritableByteChannel} is not used: the socket's descriptor is.
 */
final class PipeRegion extends AbstractReferenceCounted implements FileRegion {

    /** What a region tells its reader. */
    interface Owner {
        /** {@code n} of the region's bytes left the pipe for the socket. */
        void sent(int n);

        /** The region was released, sent or not (its channel may have closed first). */
        void released(PipeRegion region);
    }

    private final FileDescriptor pipe;
    private final FileDescriptor socket;
    private final int count;
    private final Owner owner;
    private long transferred;

    PipeRegion(FileDescriptor pipe, FileDescriptor socket, int count, Owner owner) {
        this.pipe = pipe;
        this.socket = socket;
        this.count = count;
        this.owner = owner;
    }

    @Override
    public long position() {
        return 0;
    }

    @Override
    @Deprecated
    public long transfered() {
        return transferred;
    }

    @Override
    public long transferred() {
        return transferred;
    }

    @Override
    public long count() {
        return count;
    }

    /** Splices what is left of the region into the socket; 0 when the socket takes nothing now. */
    @Override
    public long transferTo(WritableByteChannel target, long position) throws IOException {
        long left = count - transferred;
        if (left <= 0) {
            return 0;
        }
        int n = Native.splice(pipe.intValue(), -1, socket.intValue(), -1, left);
        if (n > 0) {
            transferred += n;
            owner.sent(n);
        }
        return n;
    }

    /** Bytes of the region still in the pipe. */
    int unsent() {
        return (int) (count - transferred);
    }

    @Override
    public FileRegion retain() {
        super.retain();
        return this;
    }

    @Override
    public FileRegion retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public FileRegion touch() {
        return this;
    }

    @Override
    public FileRegion touch(Object hint) {
        return this;
    }

    @Override
    protected void deallocate() {
        owner.released(this);
    }
}

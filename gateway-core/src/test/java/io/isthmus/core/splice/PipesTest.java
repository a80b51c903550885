package io.isthmus.core.splice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real pipes: made at the kernel's size, grown through fcntl(2) once full and within the budget, given back on close. */
class PipesTest {

    private static final int MIB = 1 << 20;
    private static final int FULL = Pipes.KERNEL_DEFAULT;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void linuxWithJna() {
        assumeTrue(Epoll.isAvailable(), "pipes come from Netty's native transport");
        assertThat(FcntlCalls.unavailable()).as("JNA binds fcntl on Linux").isNull();
    }

    @Test
    void aPipeGrowsOnlyOnceItHasFilledUpAndKeepsWhatItHolds() throws IOException {
        Pipes pipes = new Pipes(MIB, 32L * MIB, registry);
        Pipes.Pipe pipe = pipes.open();
        try {
            assertThat(FcntlCalls.capacity(pipe.writeEnd())).isEqualTo(FULL);
            assertThat(pipe.writeEnd().write(ByteBuffer.allocateDirect(FULL - 1), 0, FULL - 1)).isEqualTo(FULL - 1);
            pipe.filled(FULL - 1);
            assertThat(FcntlCalls.capacity(pipe.writeEnd())).as("not full yet: an interactive direction").isEqualTo(FULL);
            assertThat(pipe.writeEnd().write(ByteBuffer.allocateDirect(1), 0, 1)).isEqualTo(1);
            pipe.filled(FULL);
            assertThat(FcntlCalls.capacity(pipe.writeEnd())).isEqualTo(MIB);
            assertThat(growths("enlarged")).isEqualTo(1);
            assertThat(grown()).isEqualTo(MIB);
            // It now takes a quarter MiB more without blocking, and still holds the first 64 KiB.
            assertThat(pipe.writeEnd().write(ByteBuffer.allocateDirect(256 * 1024), 0, 256 * 1024)).isEqualTo(256 * 1024);
            ByteBuffer out = ByteBuffer.allocateDirect(2 * MIB);
            assertThat(pipe.readEnd().read(out, 0, out.capacity())).isEqualTo(FULL + 256 * 1024);
        } finally {
            pipe.close();
        }
        assertThat(grown()).isZero();
        assertThat(registry.get("isthmus.splice.pipes").counter().count()).isEqualTo(1);
    }

    @Test
    void pipesPastTheBudgetKeepTheKernelSizeUntilAGrownOneCloses() throws IOException {
        Pipes pipes = new Pipes(MIB, MIB, registry);
        Pipes.Pipe first = filled(pipes.open());
        Pipes.Pipe second = filled(pipes.open());
        try {
            assertThat(FcntlCalls.capacity(first.writeEnd())).isEqualTo(MIB);
            assertThat(FcntlCalls.capacity(second.writeEnd())).isEqualTo(FULL);
            assertThat(growths("budget-spent")).isEqualTo(1);
        } finally {
            first.close();
            second.close();
        }
        Pipes.Pipe third = filled(pipes.open());
        try {
            assertThat(FcntlCalls.capacity(third.writeEnd())).isEqualTo(MIB);
            assertThat(growths("enlarged")).isEqualTo(2);
        } finally {
            third.close();
        }
    }

    @Test
    void aPipeTriesToGrowOnceOnly() throws IOException {
        Pipes pipes = new Pipes(MIB, MIB, registry);
        Pipes.Pipe holder = filled(pipes.open());
        Pipes.Pipe pipe = filled(pipes.open());
        holder.close();
        // The budget is free again, but this pipe already had its one try.
        pipe.filled(FULL);
        try {
            assertThat(FcntlCalls.capacity(pipe.writeEnd())).isEqualTo(FULL);
            assertThat(growths("budget-spent")).isEqualTo(1);
        } finally {
            pipe.close();
        }
    }

    @Test
    void theKernelSizeAsksForNothing() throws IOException {
        Pipes.Pipe pipe = filled(new Pipes(FULL, 32L * MIB, registry).open());
        try {
            assertThat(FcntlCalls.capacity(pipe.writeEnd())).isEqualTo(FULL);
            assertThat(growths("enlarged") + growths("budget-spent") + growths("refused")).isZero();
        } finally {
            pipe.close();
        }
    }

    @Test
    void aSizeThatIsNotAPowerOfTwoPagesIsRoundedUpAndChargedAsGiven() throws IOException {
        Pipes pipes = new Pipes(3 * FULL, 32L * MIB, registry);
        Pipes.Pipe pipe = filled(pipes.open());
        try {
            assertThat(FcntlCalls.capacity(pipe.writeEnd())).isEqualTo(4 * FULL);
            assertThat(grown()).isEqualTo(4 * FULL);
        } finally {
            pipe.close();
        }
        assertThat(grown()).isZero();
    }

    @Test
    void aFailedCallNamesErrno(@TempDir Path dir) throws IOException {
        Path file = Files.createFile(dir.resolve("not-a-pipe"));
        FileDescriptor notAPipe = FileDescriptor.from(file.toFile());
        try {
            // The kernel answers EBADF for a descriptor that is not a pipe.
            assertThatThrownBy(() -> FcntlCalls.resize(notAPipe, MIB)).isInstanceOf(IOException.class)
                    .hasMessageContaining("errno 9");
        } finally {
            notAPipe.close();
        }
    }

    private static Pipes.Pipe filled(Pipes.Pipe pipe) {
        pipe.filled(FULL);
        return pipe;
    }

    private double growths(String outcome) {
        return registry.get("isthmus.splice.pipe.growths").tag("outcome", outcome).counter().count();
    }

    private double grown() {
        return registry.get("isthmus.splice.pipe.enlarged").gauge().value();
    }
}

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

/** Real pipes, grown through fcntl(2) within the budget, and given back to it when closed. */
class PipesTest {

    private static final int MIB = 1 << 20;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void linuxWithJna() {
        assumeTrue(Epoll.isAvailable(), "pipes come from Netty's native transport");
        assertThat(PipeSizeCall.unavailable()).as("JNA binds fcntl on Linux").isNull();
    }

    @Test
    void growsEachPipeToTheConfiguredSizeAndChargesTheBudget() throws IOException {
        Pipes pipes = new Pipes(MIB, 32L * MIB, registry);
        Pipes.Pipe pipe = pipes.open();
        try {
            assertThat(PipeSizeCall.capacity(pipe.writeEnd())).isEqualTo(MIB);
            assertThat(count("enlarged")).isEqualTo(1);
            assertThat(grown()).isEqualTo(MIB);
            // The whole capacity takes bytes without blocking: more than the kernel's 64 KiB.
            int written = pipe.writeEnd().write(ByteBuffer.allocateDirect(256 * 1024), 0, 256 * 1024);
            assertThat(written).isEqualTo(256 * 1024);
        } finally {
            pipe.close();
        }
        assertThat(grown()).isZero();
    }

    @Test
    void pipesPastTheBudgetKeepTheKernelSizeUntilAGrownOneCloses() throws IOException {
        Pipes pipes = new Pipes(MIB, MIB, registry);
        Pipes.Pipe first = pipes.open();
        Pipes.Pipe second = pipes.open();
        try {
            assertThat(PipeSizeCall.capacity(first.writeEnd())).isEqualTo(MIB);
            assertThat(PipeSizeCall.capacity(second.writeEnd())).isEqualTo(Pipes.KERNEL_DEFAULT);
            assertThat(count("budget-spent")).isEqualTo(1);
        } finally {
            first.close();
            second.close();
        }
        Pipes.Pipe third = pipes.open();
        try {
            assertThat(PipeSizeCall.capacity(third.writeEnd())).isEqualTo(MIB);
            assertThat(count("enlarged")).isEqualTo(2);
        } finally {
            third.close();
        }
    }

    @Test
    void theKernelSizeAsksForNothing() throws IOException {
        Pipes.Pipe pipe = new Pipes(Pipes.KERNEL_DEFAULT, 32L * MIB, registry).open();
        try {
            assertThat(PipeSizeCall.capacity(pipe.writeEnd())).isEqualTo(Pipes.KERNEL_DEFAULT);
            assertThat(count("default")).isEqualTo(1);
            assertThat(count("enlarged")).isZero();
        } finally {
            pipe.close();
        }
    }

    @Test
    void aSizeThatIsNotAPowerOfTwoPagesIsRoundedUpAndChargedAsGiven() throws IOException {
        Pipes pipes = new Pipes(3 * 64 * 1024, 32L * MIB, registry);
        Pipes.Pipe pipe = pipes.open();
        try {
            assertThat(PipeSizeCall.capacity(pipe.writeEnd())).isEqualTo(256 * 1024);
            assertThat(grown()).isEqualTo(256 * 1024);
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
            assertThatThrownBy(() -> PipeSizeCall.resize(notAPipe, MIB)).isInstanceOf(IOException.class)
                    .hasMessageContaining("errno 9");
        } finally {
            notAPipe.close();
        }
    }

    private double count(String capacity) {
        return registry.get("isthmus.splice.pipes").tag("capacity", capacity).counter().count();
    }

    private double grown() {
        return registry.get("isthmus.splice.pipe.enlarged").gauge().value();
    }
}

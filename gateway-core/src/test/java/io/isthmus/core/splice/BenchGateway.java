package io.isthmus.core.splice;

import io.isthmus.core.Gateway;
import io.isthmus.core.config.ConfigLoader;
import java.nio.file.Path;

/**
 * A gateway with the tests' probe plugin, for {@code bench/run.sh}'s {@code probe-*} scenarios: the splice
 * engine measured without any real protocol in front of it. Runs until killed (SIGTERM drains).
 * {@code java -cp <classes, test-classes, dependencies> io.isthmus.core.splice.BenchGateway FILE.conf}
 */
public final class BenchGateway {

    private BenchGateway() {
    }

    public static void main(String[] args) throws InterruptedException {
        Gateway gateway = Gateway.start(ConfigLoader.load(Path.of(args[0])));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> gateway.shutdown(java.time.Duration.ofSeconds(1))));
        gateway.awaitTermination();
    }
}

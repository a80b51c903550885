package io.isthmus.core.splice;

/** Every case of {@link SpliceTest} on the NIO transport (the fallback where epoll is missing). */
class NioSpliceTest extends SpliceTest {

    @Override
    String gatewayConfig() {
        return """
                isthmus.logging.access-log = true
                isthmus.transport = nio
                """;
    }
}

package io.isthmus.core.testing;

import com.typesafe.config.Config;
import io.isthmus.core.Gateway;
import io.isthmus.core.config.ConfigLoader;

/** Starts gateways for tests on free loopback ports, with the embedded defaults under the given HOCON. */
public final class TestGateways {

    private TestGateways() {
    }

    /** Public and admin ports on 127.0.0.1 port 0; {@code hocon} overrides anything else. */
    public static Gateway start(String hocon) {
        Config root = config(hocon);
        try {
            return Gateway.start(root);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static Config config(String hocon) {
        return ConfigLoader.loadString("""
                isthmus.listen = "127.0.0.1:0"
                isthmus.admin.listen = "127.0.0.1:0"
                isthmus.logging.access-log = false
                """ + hocon);
    }
}

package io.isthmus.distribution;

import com.typesafe.config.Config;
import io.isthmus.core.Gateway;
import io.isthmus.core.config.ConfigLoader;
import io.isthmus.core.config.InvalidConfigException;
import io.isthmus.core.reload.HangupSignal;
import java.io.IOException;
import java.net.BindException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Option;

/**
 * {@code isthmus run}: start the gateway and serve until the JVM is asked to stop. SIGTERM runs the
 * shutdown hook, which drains (readiness false, listener closed, live links given the drain deadline);
 * the JVM then exits 143, which is the normal end of a service (systemd: SuccessExitStatus=143).
 * SIGHUP reloads the config file (keys, secrets, token files, the TLS certificate) without a restart.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        header = "Start the gateway and serve until SIGTERM, then drain and exit.",
        description = {"Binds isthmus.listen (public) and isthmus.admin.listen (/metrics, /healthz, /readyz).",
            "On SIGTERM: readiness turns 503, the listener closes, live links get "
                    + "isthmus.shutdown.drain-timeout, then the JVM exits (143).",
            "On SIGHUP: the config file is loaded again; keys, secrets, token files and the TLS certificate "
                    + "change without dropping a connection; a bad file is refused and the old config stays."})
public final class RunCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Operator's HOCON file; without it the built-in defaults apply. "
                    + "ISTHMUS_LISTEN and ISTHMUS_ADMIN_LISTEN override it.")
    Path config;

    @Override
    public Integer call() throws InterruptedException {
        Config tree = ConfigLoader.load(config);
        Gateway gateway = start(tree);
        // Hot reload: SIGHUP (and the file watcher, when isthmus.reload.watch is on) loads the file again.
        var reloader = gateway.enableReload(() -> ConfigLoader.load(config), config);
        HangupSignal.install(() -> reloader.reloadAsync("SIGHUP"));
        Runtime.getRuntime().addShutdownHook(new Thread(gateway::shutdown, "isthmus-drain"));
        gateway.awaitTermination();
        return ExitCode.OK;
    }

    private static Gateway start(Config tree) throws InterruptedException {
        try {
            return Gateway.start(tree);
        } catch (InvalidConfigException | InterruptedException e) {
            throw e;
        } catch (Exception e) {
            // Netty rethrows the bind error unchecked (NIO: BindException; epoll: "bind(..) failed: ...").
            Throwable bind = bindFailure(e);
            if (bind == null) {
                throw e;
            }
            throw new StartFailure("cannot listen: " + reason(bind) + " (isthmus.listen = "
                    + tree.getString("isthmus.listen") + ", isthmus.admin.listen = "
                    + tree.getString("isthmus.admin.listen") + ")", e);
        }
    }

    /** "bind(..) failed with error(-98): Address already in use" reads better as its last part. */
    private static String reason(Throwable bind) {
        String message = String.valueOf(bind.getMessage());
        return message.substring(message.lastIndexOf(": ") + 1).strip();
    }

    private static Throwable bindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException
                    || t instanceof IOException && t.getMessage() != null && t.getMessage().startsWith("bind(")) {
                return t;
            }
        }
        return null;
    }
}

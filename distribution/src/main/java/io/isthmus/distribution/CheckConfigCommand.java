package io.isthmus.distribution;

import com.typesafe.config.Config;
import io.isthmus.core.ValidatedConfig;
import io.isthmus.core.config.ConfigLoader;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code isthmus check-config FILE}: the nginx {@code -t} of Isthmus. Runs the same validation as
 * {@code run} (core and every plugin block) without binding anything, then prints the effective tree —
 * file, environment overrides and defaults merged — with secrets redacted, so it is safe to paste.
 */
@Command(name = "check-config", mixinStandardHelpOptions = true,
        header = "Validate a config file; print it with secrets redacted.",
        description = {"Runs the same validation as `run` (core and every plugin block) without binding any port.",
            "Prints `configuration OK` and the effective tree (environment > FILE > defaults) as HOCON, "
                    + "secret values redacted. Exit 0 when valid, 2 with one line naming the key otherwise."})
public final class CheckConfigCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "The HOCON file to check.")
    Path file;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (!Files.isRegularFile(file)) {
            throw new ParameterException(spec.commandLine(), "no such file: " + file);
        }
        Config tree = ConfigLoader.load(file);
        ValidatedConfig.of(tree);
        PrintWriter out = spec.commandLine().getOut();
        out.println("configuration OK");
        out.print(RedactedConfig.render(tree));
        out.flush();
        return ExitCode.OK;
    }
}

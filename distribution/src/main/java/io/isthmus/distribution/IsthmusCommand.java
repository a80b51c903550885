package io.isthmus.distribution;

import io.isthmus.core.spi.CliCommandProvider;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code isthmus} command line: {@code run}, {@code check-config} and whatever plugins add. */
@Command(name = "isthmus",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "An edge gateway that brokers WebRoute, Remoted API, Bare, websocktunnel and raw-socket "
                + "connections on one port.",
        subcommands = {RunCommand.class, CheckConfigCommand.class},
        footerHeading = "%nExamples:%n",
        footer = {
            "  Start the gateway; SIGTERM drains, then exits:",
            "    isthmus run --config /etc/isthmus/isthmus.conf",
            "  Validate a file and print it with secrets redacted:",
            "    isthmus check-config /etc/isthmus/isthmus.conf",
            "",
            "Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error."})
public final class IsthmusCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        // Lets Netty use its direct-buffer fast paths under `java -jar` too; the launcher sets it as well.
        if (System.getProperty("io.netty.tryReflectionSetAccessible") == null) {
            System.setProperty("io.netty.tryReflectionSetAccessible", "true");
        }
        System.exit(commandLine().execute(args));
    }

    /** The full command tree, with plugins' subcommands and the exit-code mapping of failures. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new IsthmusCommand());
        for (CliCommandProvider provider : ServiceLoader.load(CliCommandProvider.class)) {
            cli.addSubcommand(provider.command());
        }
        cli.setExecutionExceptionHandler(new FailureReport());
        return cli;
    }

    /** A bare {@code isthmus} is a usage error: say so and show the subcommands. */
    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }
}

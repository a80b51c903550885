package io.isthmus.webroute.cli;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code isthmus webroute}: WebRoute client tools. The standard streams are injectable so that tests can
 * run the commands in-process.
 */
@Command(name = "webroute", mixinStandardHelpOptions = true,
        description = "WebRoute client: link this terminal or a local port with another WebRoute client.",
        subcommands = {ConnectCommand.class, ForwardCommand.class})
public final class WebRouteCommand implements Runnable {

    final InputStream stdin;
    final OutputStream stdout;
    final PrintStream stderr;

    @Spec
    CommandSpec spec;

    public WebRouteCommand() {
        this(System.in, System.out, System.err);
    }

    public WebRouteCommand(InputStream stdin, OutputStream stdout, PrintStream stderr) {
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    @Override
    public void run() {
        spec.commandLine().usage(stderr);
    }
}

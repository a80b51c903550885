package io.isthmus.remoted.cli;

import java.io.PrintStream;
import picocli.CommandLine.Command;

/** {@code isthmus remoted}: expose a firewalled local service, or reach one. */
@Command(name = "remoted", mixinStandardHelpOptions = true,
        description = "Remoted API: expose a local TCP service through a gateway, or reach one.",
        subcommands = {ExposeCommand.class, ReachCommand.class})
public final class RemotedCommand {

    PrintStream stderr = System.err;

    /** For tests: where progress and errors go. */
    public RemotedCommand errorsTo(PrintStream stream) {
        this.stderr = stream;
        return this;
    }
}

package io.isthmus.distribution;

import io.isthmus.core.spi.CliCommandProvider;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Stands in for a plugin's client subcommand (registered in test resources' META-INF/services). */
public final class EchoCommandProvider implements CliCommandProvider {

    @Override
    public Object command() {
        return new Echo();
    }

    @Command(name = "echo-test", description = "Prints its words (a stand-in plugin subcommand).")
    static final class Echo implements Callable<Integer> {

        @Parameters
        String[] words = {};

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(String.join(" ", words));
            return 0;
        }
    }
}

package io.isthmus.distribution;

import io.isthmus.core.config.InvalidConfigException;
import picocli.CommandLine;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns a failure into one line on stderr and an exit code: a configuration the gateway refuses is a
 * usage error (2), anything else a runtime failure (1). Operators read the line; only an unexpected
 * exception (a bug) adds its stack trace.
 */
final class FailureReport implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception e, CommandLine cli, ParseResult parsed) {
        var err = cli.getErr();
        if (e instanceof InvalidConfigException) {
            err.println("isthmus: invalid configuration: " + e.getMessage());
            err.flush();
            return ExitCode.USAGE;
        }
        if (e instanceof StartFailure) {
            err.println("isthmus: " + e.getMessage());
            err.flush();
            return ExitCode.SOFTWARE;
        }
        err.println("isthmus: unexpected failure: " + e);
        e.printStackTrace(err);
        err.flush();
        return ExitCode.SOFTWARE;
    }
}

package io.isthmus.remoted.cli;

import io.isthmus.core.spi.CliCommandProvider;

/** Adds {@code isthmus remoted ...} to the command line. */
public final class RemotedCli implements CliCommandProvider {

    @Override
    public Object command() {
        return new RemotedCommand();
    }
}

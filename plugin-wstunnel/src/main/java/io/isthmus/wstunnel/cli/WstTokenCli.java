package io.isthmus.wstunnel.cli;

import io.isthmus.core.spi.CliCommandProvider;

/** Adds {@code isthmus wst-token ...} to the command line. */
public final class WstTokenCli implements CliCommandProvider {

    @Override
    public Object command() {
        return new WstTokenCommand();
    }
}

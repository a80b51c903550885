package io.isthmus.wstunnel.cli;

import io.isthmus.core.spi.CliCommandProvider;

/** Adds {@code isthmus wst-client ...} to the command line. */
public final class WstClientCli implements CliCommandProvider {

    @Override
    public Object command() {
        return new WstClientCommand();
    }
}

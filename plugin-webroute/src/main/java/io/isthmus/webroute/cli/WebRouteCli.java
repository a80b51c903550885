package io.isthmus.webroute.cli;

import io.isthmus.core.spi.CliCommandProvider;

/** Adds {@code isthmus webroute ...} to the command line. */
public final class WebRouteCli implements CliCommandProvider {

    @Override
    public Object command() {
        return new WebRouteCommand();
    }
}

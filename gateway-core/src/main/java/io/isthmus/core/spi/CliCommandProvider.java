package io.isthmus.core.spi;

/**
 * A client subcommand a plugin adds to the {@code isthmus} command line (found with ServiceLoader),
 * for example {@code isthmus webroute ...}.
 */
public interface CliCommandProvider {

    /** A picocli {@code @Command}-annotated object; its name is the subcommand's name. */
    Object command();
}

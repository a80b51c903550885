package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.BuildInfo;
import org.junit.jupiter.api.Test;

class IsthmusCommandTest {

    @Test
    void versionPrintsTheBuildVersion() {
        Cli cli = Cli.run("--version");
        assertThat(cli.exitCode()).as(cli.toString()).isZero();
        assertThat(BuildInfo.version()).isNotBlank().isNotEqualTo("dev");
        assertThat(cli.out()).startsWith("isthmus " + BuildInfo.version() + System.lineSeparator());
    }

    @Test
    void helpListsTheSubcommandsAndTheTwoCommonInvocations() {
        Cli cli = Cli.run("--help");
        assertThat(cli.exitCode()).as(cli.toString()).isZero();
        assertThat(cli.out())
                .containsPattern("(?m)^\\s+run\\s+\\S.*")
                .containsPattern("(?m)^\\s+check-config\\s+\\S.*")
                .contains("isthmus run --config /etc/isthmus/isthmus.conf")
                .contains("isthmus check-config /etc/isthmus/isthmus.conf");
    }

    @Test
    void aBareInvocationIsAUsageError() {
        Cli cli = Cli.run();
        assertThat(cli.exitCode()).isEqualTo(2);
        assertThat(cli.err()).contains("Missing required subcommand").contains("Usage: isthmus");
    }

    @Test
    void anUnknownSubcommandIsAUsageError() {
        Cli cli = Cli.run("frobnicate");
        assertThat(cli.exitCode()).isEqualTo(2);
        assertThat(cli.err()).contains("frobnicate");
    }

    @Test
    void pluginSubcommandsFoundByServiceLoaderAreListedAndRun() {
        assertThat(Cli.run("--help").out()).containsPattern("(?m)^\\s+echo-test\\s+Prints its words");
        Cli cli = Cli.run("echo-test", "hello", "edge");
        assertThat(cli.exitCode()).as(cli.toString()).isZero();
        assertThat(cli.out()).isEqualTo("hello edge" + System.lineSeparator());
    }
}

package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckConfigCommandTest {

    @TempDir
    Path dir;

    @Test
    void aValidFileIsOkAndItsEffectiveTreeIsPrinted() throws IOException {
        Cli cli = Cli.run("check-config", write("""
                isthmus {
                  listen = "127.0.0.1:18443"
                  limits.max-headers = 64
                }
                """));
        assertThat(cli.exitCode()).as(cli.toString()).isZero();
        assertThat(cli.out().lines().findFirst()).contains("configuration OK");
        // The file's values, and the defaults it did not set, both show.
        assertThat(cli.out()).contains("listen=\"127.0.0.1:18443\"").contains("max-headers=64")
                .contains("drain-timeout=\"30s\"");
        assertThat(cli.err()).isEmpty();
    }

    @Test
    void anUnknownKeyExitsTwoWithOneLineNamingItsPath() throws IOException {
        Cli cli = Cli.run("check-config", write("isthmus.limits.max-headerz = 3\n"));
        assertThat(cli.exitCode()).as(cli.toString()).isEqualTo(2);
        assertThat(cli.err().lines()).singleElement().asString()
                .startsWith("isthmus: invalid configuration: isthmus.limits.max-headerz")
                .contains("unknown key");
        assertThat(cli.out()).doesNotContain("configuration OK");
    }

    @Test
    void aWrongTypeExitsTwoNamingTheKeyAndWhatWasExpected() throws IOException {
        Cli cli = Cli.run("check-config", write("isthmus.limits.max-headers = lots\n"));
        assertThat(cli.exitCode()).as(cli.toString()).isEqualTo(2);
        assertThat(cli.err().lines()).singleElement().asString()
                .startsWith("isthmus: invalid configuration: isthmus.limits.max-headers")
                .contains("whole number");
    }

    @Test
    void anImpossibleValueExitsTwo() throws IOException {
        Cli cli = Cli.run("check-config", write("isthmus.listen = \"nowhere\"\n"));
        assertThat(cli.exitCode()).as(cli.toString()).isEqualTo(2);
        assertThat(cli.err().lines()).singleElement().asString()
                .startsWith("isthmus: invalid configuration: isthmus.listen (").contains(": 1): ").contains("'nowhere'");
    }

    @Test
    void aPluginBlockIsValidatedWithItsKeyPath() throws IOException {
        Cli cli = Cli.run("check-config", write("isthmus.plugins.bare.prefix = \"bare\"\n"));
        assertThat(cli.exitCode()).as(cli.toString()).isEqualTo(2);
        assertThat(cli.err().lines()).singleElement().asString()
                .startsWith("isthmus: invalid configuration: isthmus.plugins.bare.prefix (").contains("must start with '/'");
    }

    @Test
    void anUnknownPluginBlockExitsTwoListingTheKnownPlugins() throws IOException {
        Cli cli = Cli.run("check-config", write("isthmus.plugins.gopher.enabled = true\n"));
        assertThat(cli.exitCode()).as(cli.toString()).isEqualTo(2);
        assertThat(cli.err()).contains("isthmus.plugins.gopher").contains("no such plugin").contains("bare")
                .contains("rawsocket").contains("wstunnel");
    }

    @Test
    void brokenSyntaxExitsTwoNamingTheFile() throws IOException {
        String file = write("isthmus {\n  listen = \"127.0.0.1:1\"\n");
        Cli cli = Cli.run("check-config", file);
        assertThat(cli.exitCode()).as(cli.toString()).isEqualTo(2);
        assertThat(cli.err()).startsWith("isthmus: invalid configuration: ").contains(file);
    }

    @Test
    void aMissingFileIsAUsageError() {
        Cli cli = Cli.run("check-config", dir.resolve("absent.conf").toString());
        assertThat(cli.exitCode()).isEqualTo(2);
        assertThat(cli.err()).contains("no such file").contains("absent.conf");
    }

    @Test
    void theTlsKeyIsAPathAndStaysVisible() throws IOException {
        Cli cli = Cli.run("check-config", write("""
                isthmus.tls { enabled = true, certificate = "/etc/isthmus/cert.pem", key = "/etc/isthmus/key.pem" }
                """));
        assertThat(cli.exitCode()).as(cli.toString()).isZero();
        assertThat(cli.out()).contains("key=\"/etc/isthmus/key.pem\"").doesNotContain(RedactedConfig.MASK);
    }

    private String write(String hocon) throws IOException {
        return Files.writeString(Files.createTempFile(dir, "isthmus", ".conf"), hocon).toString();
    }
}

package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The operator's config and the systemd unit that go into the tarball, checked against the code. */
class ShippedFilesTest {

    private static final Path CONF = Path.of("src/dist/conf/isthmus.conf");
    private static final Path UNIT = Path.of("src/dist/systemd/isthmus.service");
    /** "# key = value" lines are commented defaults; prose comments never take that shape. */
    private static final Pattern COMMENTED_DEFAULT = Pattern.compile("(?m)^(\\s*)# ([a-z][a-z0-9-]*\\s*=)");

    @Test
    void theShippedConfigPassesCheckConfig() {
        Cli cli = Cli.run("check-config", CONF.toString());
        assertThat(cli.exitCode()).as(cli.toString()).isZero();
    }

    @Test
    void theShippedConfigShowsEveryCoreKeyWithItsDefault() throws IOException {
        String uncommented = COMMENTED_DEFAULT.matcher(Files.readString(CONF)).replaceAll("$1$2");
        Map<String, Object> shipped = leaves(ConfigFactory.parseString(uncommented));
        Map<String, Object> reference = leaves(ConfigFactory.parseResourcesAnySyntax("reference.conf"));
        assertThat(shipped)
                .as("conf/isthmus.conf must show every key of the core's reference.conf (uncommented or as "
                        + "'# key = default') with the same default; copy new keys with their comments")
                .containsExactlyInAnyOrderEntriesOf(reference);
    }

    @Test
    void theUnitStartsTheExecutableWithTheShippedConfigPath() throws IOException {
        assertThat(directives()).containsEntry("ExecStart",
                "/opt/isthmus/bin/isthmus run --config /etc/isthmus/isthmus.conf");
    }

    @Test
    void theUnitTreatsSigtermAsSuccessAndWaitsLongerThanTheDrain() throws IOException {
        Map<String, String> unit = directives();
        assertThat(unit.get("SuccessExitStatus")).contains("143");
        Duration drain = ConfigFactory.parseResourcesAnySyntax("reference.conf")
                .getDuration("isthmus.shutdown.drain-timeout");
        assertThat(Duration.ofSeconds(Long.parseLong(unit.get("TimeoutStopSec")))).isGreaterThan(drain);
        // Exit 2 is a configuration error (FailureReport): a restart loop cannot fix it.
        assertThat(unit).containsEntry("Restart", "on-failure").containsEntry("RestartPreventExitStatus", "2");
    }

    @Test
    void theUnitIsHardenedButLetsTheJitWork() throws IOException {
        Map<String, String> unit = directives();
        assertThat(unit)
                .containsEntry("NoNewPrivileges", "yes")
                .containsEntry("ProtectSystem", "strict")
                .containsEntry("PrivateTmp", "yes")
                .containsEntry("PrivateDevices", "yes")
                .containsEntry("ProtectHome", "yes")
                .containsEntry("ProtectKernelTunables", "yes")
                .containsEntry("ProtectKernelModules", "yes")
                .containsEntry("ProtectControlGroups", "yes")
                .containsEntry("RestrictNamespaces", "yes")
                .containsEntry("LockPersonality", "yes")
                .containsEntry("SystemCallArchitectures", "native")
                .containsEntry("CapabilityBoundingSet", "CAP_NET_BIND_SERVICE")
                .containsEntry("AmbientCapabilities", "CAP_NET_BIND_SERVICE")
                .containsEntry("LimitNOFILE", "1048576")
                .doesNotContainKey("MemoryDenyWriteExecute");
        assertThat(unit.get("RestrictAddressFamilies")).contains("AF_INET").contains("AF_INET6").contains("AF_UNIX");
    }

    /** Every HOCON leaf under isthmus, plugins aside (each plugin documents its own block). */
    private static Map<String, Object> leaves(Config root) {
        Config core = root.getConfig("isthmus").withoutPath("plugins");
        return core.entrySet().stream().collect(Collectors.toMap(
                Map.Entry::getKey, e -> ((ConfigValue) e.getValue()).unwrapped(), (a, b) -> b, TreeMap::new));
    }

    private static Map<String, String> directives() throws IOException {
        return Files.readAllLines(UNIT).stream()
                .map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#") && !l.startsWith("[") && l.contains("="))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1),
                        (a, b) -> a + " " + b, TreeMap::new));
    }
}

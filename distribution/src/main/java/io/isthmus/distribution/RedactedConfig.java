package io.isthmus.distribution;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code isthmus} tree rendered as HOCON with secrets masked. A value is secret when its key, or a block
 * around it other than a {@code tokens} block, names a secret ({@code secrets}, {@code password}, {@code token}, {@code key}, {@code ...-key},
 * {@code ...-keys}); sizes, durations and file paths named like that ({@code max-token-bytes},
 * {@code token-ttl}, {@code key-file}, {@code tls.key}) are not secrets and stay visible.
 */
final class RedactedConfig {

    static final String MASK = "<redacted>";

    /** Keys whose value is a file path, not key material: show them, they help debugging. */
    private static final Set<String> PATHS = Set.of("isthmus.tls.key");

    /** Suffixes of keys that hold a size, duration or location rather than the secret itself. */
    private static final List<String> NOT_SECRET_SUFFIXES = List.of(
            "-bytes", "-size", "-length", "-count", "-timeout", "-ttl", "-interval", "-lifetime",
            "-header", "-file", "-path", "-dir", "-enabled");

    private static final ConfigRenderOptions HOCON = ConfigRenderOptions.defaults()
            .setOriginComments(false).setComments(false).setJson(false).setFormatted(true);

    private RedactedConfig() {
    }

    /** Renders {@code root}'s {@code isthmus} subtree, masked. */
    static String render(Config root) {
        Config tree = root.withOnlyPath("isthmus");
        for (Map.Entry<String, ConfigValue> e : tree.entrySet()) {
            if (isSecretPath(e.getKey())) {
                tree = tree.withValue(e.getKey(), mask(e.getValue()));
            }
        }
        return tree.root().render(HOCON);
    }

    static boolean isSecretPath(String path) {
        if (PATHS.contains(path)) {
            return false;
        }
        List<String> keys = ConfigUtil.splitPath(path);
        if (isSecretName(keys.get(keys.size() - 1))) {
            return true;
        }
        // A block named for secrets (password { users { … } }, server-keys = [ … ]) hides all inside it; a block
        // that only mentions tokens (tokens { file, reload-interval }) does not.
        return keys.subList(0, keys.size() - 1).stream().anyMatch(k -> isSecretName(k) && !k.toLowerCase(Locale.ROOT).contains("token"));
    }

    static boolean isSecretName(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        if (k.startsWith("max-") || k.startsWith("min-") || NOT_SECRET_SUFFIXES.stream().anyMatch(k::endsWith)) {
            return false;
        }
        return k.contains("secret") || k.contains("password") || k.contains("passphrase") || k.contains("token")
                || k.contains("credential") || k.equals("key") || k.equals("keys")
                || k.endsWith("-key") || k.endsWith("-keys");
    }

    /** Masks strings and numbers; keeps empty strings, booleans and list lengths, which reveal nothing. */
    private static ConfigValue mask(ConfigValue value) {
        ConfigValueType type = value.valueType();
        if (type == ConfigValueType.LIST) {
            return ConfigValueFactory.fromIterable(((List<?>) value.unwrapped()).stream()
                    .map(v -> v instanceof String s && s.isEmpty() ? s : MASK).toList());
        }
        if (type == ConfigValueType.NUMBER || type == ConfigValueType.STRING && !((String) value.unwrapped()).isEmpty()) {
            return ConfigValueFactory.fromAnyRef(MASK);
        }
        return value;
    }
}

package io.isthmus.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;

/**
 * Builds the one config tree: environment overrides over the operator's file over every module's
 * {@code reference.conf}. Environment overrides live in {@code isthmus-env.conf} resources (one per module,
 * lines like {@code isthmus.listen = ${?ISTHMUS_LISTEN}}) so that an injected port or secret wins over the file.
 */
public final class ConfigLoader {

    public static final String ENV_OVERRIDES_RESOURCE = "isthmus-env.conf";

    private ConfigLoader() {
    }

    /** Loads the tree; {@code file} may be null for the embedded defaults. */
    public static Config load(Path file) {
        return load(file, ConfigLoader.class.getClassLoader());
    }

    public static Config load(Path file, ClassLoader loader) {
        Config operator = ConfigFactory.empty();
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new InvalidConfigException("--config", "no such file: " + file);
            }
            try {
                operator = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            } catch (ConfigException e) {
                throw new InvalidConfigException(file.toString(), withoutOrigin(e.getMessage(), file.toString()));
            }
        }
        try {
            Config reference = ConfigFactory.parseResourcesAnySyntax(loader, "reference.conf");
            Config merged = envOverrides(loader).withFallback(operator).withFallback(reference);
            return merged.resolve(ConfigResolveOptions.defaults().setAllowUnresolved(false));
        } catch (ConfigException e) {
            String path = e instanceof ConfigException.BugOrBroken ? "config" : pathOf(e);
            throw new InvalidConfigException(path, e.getMessage());
        }
    }

    /** Loads a tree from HOCON text over the references, for tests and {@code check-config}. */
    public static Config loadString(String hocon) {
        try {
            Path tmp = Files.createTempFile("isthmus", ".conf");
            try {
                Files.writeString(tmp, hocon);
                return load(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Config envOverrides(ClassLoader loader) {
        Config all = ConfigFactory.empty();
        try {
            for (URL url : Collections.list(loader.getResources(ENV_OVERRIDES_RESOURCE))) {
                all = all.withFallback(ConfigFactory.parseURL(url));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all;
    }

    /** Typesafe's messages start with the file's name, which our message already names. */
    private static String withoutOrigin(String message, String file) {
        String m = message == null ? "" : message;
        return m.startsWith(file + ": ") ? m.substring(file.length() + 2) : m;
    }

    private static String pathOf(ConfigException e) {
        return e.origin() == null ? "config" : e.origin().description();
    }
}

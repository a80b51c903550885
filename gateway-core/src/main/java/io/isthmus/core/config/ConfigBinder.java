package io.isthmus.core.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

/**
 * Binds a HOCON subtree to an immutable record through Jackson, Druid's {@code JsonConfigProvider} way:
 * keys are kebab-case, an unknown key, a wrong type or a value the record's constructor refuses becomes
 * an {@link InvalidConfigException} naming the full key path and, where known, the file and line.
 */
public final class ConfigBinder {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .addModule(HoconValues.module())
            .build();

    private ConfigBinder() {
    }

    /** Binds {@code root.getConfig(path)} to {@code type}; every key of the record must be present (reference.conf). */
    public static <T> T bind(Config root, String path, Class<T> type) {
        Config subtree;
        try {
            subtree = root.getConfig(path);
        } catch (ConfigException.Missing e) {
            throw new InvalidConfigException(path, "missing");
        } catch (ConfigException.WrongType e) {
            throw new InvalidConfigException(path, "expected an object");
        }
        rejectNulls(root, path, subtree.root());
        try {
            return MAPPER.convertValue(subtree.root().unwrapped(), type);
        } catch (IllegalArgumentException e) {
            throw describe(root, path, e);
        }
    }

    /** No record takes a null (every key has a value in a reference.conf); say which key instead of an NPE. */
    private static void rejectNulls(Config root, String path, com.typesafe.config.ConfigValue value) {
        if (value.valueType() == com.typesafe.config.ConfigValueType.NULL) {
            throw new InvalidConfigException(path + origin(root, path), "must not be null");
        }
        if (value instanceof com.typesafe.config.ConfigObject object) {
            object.forEach((key, child) -> rejectNulls(root, path + "." + key, child));
        } else if (value instanceof com.typesafe.config.ConfigList list) {
            for (int i = 0; i < list.size(); i++) {
                rejectNulls(root, path + "[" + i + "]", list.get(i));
            }
        }
    }

    private static InvalidConfigException describe(Config root, String path, IllegalArgumentException e) {
        Throwable cause = e.getCause() instanceof JsonMappingException ? e.getCause() : e;
        if (!(cause instanceof JsonMappingException jme)) {
            return new InvalidConfigException(path, String.valueOf(e.getMessage()));
        }
        StringBuilder key = new StringBuilder(path);
        for (JsonMappingException.Reference ref : jme.getPath()) {
            if (ref.getFieldName() != null) {
                key.append('.').append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                key.append('[').append(ref.getIndex()).append(']');
            }
        }
        String keyPath = key.toString();
        String problem;
        if (jme instanceof UnrecognizedPropertyException) {
            problem = "unknown key";
        } else if (jme instanceof ValueInstantiationException vie && vie.getCause() instanceof ConfigValueException cve) {
            key.append('.').append(cve.key());
            keyPath = key.toString();
            problem = cve.getMessage();
        } else if (jme instanceof ValueInstantiationException vie && vie.getCause() != null) {
            problem = vie.getCause().getMessage();
        } else if (jme instanceof InvalidFormatException ife) {
            // Jackson's own words start with the Java type ("Cannot deserialize value of type `java.time.Duration`
            // from String ..."); the operator needs only what follows.
            problem = "cannot use " + quote(ife.getValue()) + ": " + firstLine(ife.getOriginalMessage())
                    .replaceFirst("^Cannot deserialize value of type `[^`]*` from [A-Za-z ]+? (\".*?\"|\\S+): ", "");
        } else if (jme instanceof MismatchedInputException mie && mie.getTargetType() != null) {
            problem = mie.getOriginalMessage().contains("Missing required creator property")
                    ? "missing" : "expected " + typeName(mie.getTargetType());
        } else {
            problem = firstLine(jme.getOriginalMessage());
        }
        return new InvalidConfigException(keyPath + origin(root, keyPath), problem);
    }

    private static String origin(Config root, String keyPath) {
        try {
            if (!keyPath.contains("[") && root.hasPath(keyPath)) {
                String where = root.getValue(keyPath).origin().description();
                return where.contains("reference.conf") ? "" : " (" + where + ")";
            }
        } catch (ConfigException ignored) {
            // The key is not addressable as a HOCON path; the path alone is enough.
        }
        return "";
    }

    private static String typeName(Class<?> type) {
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "a whole number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type.isRecord()) {
            return "an object";
        }
        if (java.util.List.class.isAssignableFrom(type)) {
            return "a list";
        }
        return type.getSimpleName();
    }

    private static String quote(Object value) {
        return value instanceof String s ? "'" + s + "'" : String.valueOf(value);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "invalid value";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}

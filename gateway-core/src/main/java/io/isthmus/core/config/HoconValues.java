package io.isthmus.core.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/**
 * Jackson deserializers for HOCON's durations ({@code 10s}, {@code 1 hour}) and sizes ({@code 16k}), so
 * config records can use {@link Duration} and {@link ByteSize}. A bare number is milliseconds or bytes,
 * as in Typesafe Config itself.
 */
final class HoconValues {

    private HoconValues() {
    }

    static SimpleModule module() {
        SimpleModule m = new SimpleModule("hocon-values");
        m.addDeserializer(Duration.class, new DurationDeserializer());
        m.addDeserializer(ByteSize.class, new ByteSizeDeserializer());
        return m;
    }

    private static final class DurationDeserializer extends JsonDeserializer<Duration> {
        @Override
        public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
                return Duration.ofMillis(p.getLongValue());
            }
            String text = p.getValueAsString();
            try {
                return ConfigFactory.parseMap(Map.of("v", text)).getDuration("v");
            } catch (ConfigException | NullPointerException e) {
                return (Duration) ctxt.handleWeirdStringValue(Duration.class, text,
                        "expected a duration such as 10s, 500ms or 1h");
            }
        }
    }

    private static final class ByteSizeDeserializer extends JsonDeserializer<ByteSize> {
        @Override
        public ByteSize deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
                return new ByteSize(p.getLongValue());
            }
            String text = p.getValueAsString();
            try {
                return new ByteSize(ConfigFactory.parseMap(Map.of("v", text)).getBytes("v"));
            } catch (ConfigException | NullPointerException e) {
                return (ByteSize) ctxt.handleWeirdStringValue(ByteSize.class, text,
                        "expected a size such as 16k, 64KiB or 1m");
            }
        }
    }
}

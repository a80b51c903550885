package io.isthmus.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.Locale;

/**
 * {@code isthmus.splice.zero-copy}: whether links that ask for the kernel splice path get it. {@code auto}
 * (the default) starts every eligible link copying and moves it to the kernel path while it carries bulk;
 * {@code true} puts it there from its first byte; {@code false} always copies. Booleans are accepted as
 * written in older configs ({@code true}/{@code false}, or HOCON's {@code on}/{@code off}, {@code yes}/{@code no}).
 */
public enum ZeroCopyMode {
    OFF, ON, AUTO;

    @JsonCreator
    public static ZeroCopyMode of(Object value) {
        if (value instanceof Boolean on) {
            return on ? ON : OFF;
        }
        if (value instanceof String text) {
            switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "auto":
                    return AUTO;
                case "true", "on", "yes":
                    return ON;
                case "false", "off", "no":
                    return OFF;
                default:
                    break;
            }
        }
        throw new IllegalArgumentException("must be auto, true or false");
    }

    /** Whether splices may use the kernel path at all (so pipes are needed). */
    public boolean enabled() {
        return this != OFF;
    }

    /** As written in the config. */
    public String configName() {
        return switch (this) {
            case OFF -> "false";
            case ON -> "true";
            case AUTO -> "auto";
        };
    }
}

package io.isthmus.webroute.handshake;

import java.util.regex.Pattern;

/**
 * PHP 8's view of numeric strings, which the reference server applies to {@code WebRoute-Version}
 * ({@code != 1}) and {@code WebRoute-Timeout} ({@code is_numeric}, {@code (int)}). Matching it exactly
 * keeps clients that send {@code 01} or {@code 1.0} working, and refuses {@code 1abc} as PHP does.
 */
public final class PhpNumbers {

    // PHP 8 numeric string: surrounding whitespace, a sign, digits with an optional dot, an optional exponent.
    private static final Pattern NUMERIC = Pattern.compile(
            "[ \\t\\n\\r\\u000B\\f]*[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?[ \\t\\n\\r\\u000B\\f]*");

    private PhpNumbers() {
    }

    /** {@code is_numeric($value)}; null is not numeric. */
    public static boolean isNumeric(String value) {
        return value != null && NUMERIC.matcher(value).matches();
    }

    /** {@code $value == 1} for a header string: numeric strings compare as numbers, others never equal 1. */
    public static boolean equalsOne(String value) {
        return isNumeric(value) && Double.parseDouble(value.strip()) == 1.0;
    }

    /**
     * {@code (int)$value} for a numeric string: the integer part, saturated at the long range (PHP leaves
     * out-of-range casts undefined; saturating keeps a huge value huge).
     */
    public static long toLong(String value) {
        if (!isNumeric(value)) {
            throw new IllegalArgumentException("not numeric: " + value);
        }
        String s = value.strip();
        if (s.matches("[+-]?\\d{1,18}")) {
            return Long.parseLong(s);
        }
        // A float, or an integer too long for the exact path: Java's cast truncates and saturates.
        return (long) Double.parseDouble(s);
    }
}

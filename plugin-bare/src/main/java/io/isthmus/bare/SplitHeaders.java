package io.isthmus.bare;

import io.isthmus.core.http.RequestHead;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Split headers (BareServerV2.md "Split Headers"): an {@code X-Bare-Headers} value longer than 3072
 * characters travels as {@code X-Bare-Headers-0..n}, each part starting with {@code ;} so that no
 * intermediary trims its leading whitespace. Requests are joined, responses split.
 */
final class SplitHeaders {

    static final int PART = 3072;
    private static final String NAME = "x-bare-headers";

    private SplitHeaders() {
    }

    /** The client's X-Bare-Headers, re-joined from its parts when {@code x-bare-headers-0} is present; or null. */
    static String join(RequestHead head) {
        if (!head.headers().contains(NAME + "-0")) {
            return head.header(NAME);
        }
        Map<Integer, String> parts = new TreeMap<>();
        for (Map.Entry<String, String> h : head.headers()) {
            String name = h.getKey().toLowerCase(Locale.ROOT);
            if (!name.startsWith(NAME)) {
                continue;
            }
            String value = h.getValue();
            if (!value.startsWith(";")) {
                throw BareError.invalid("request.headers." + name, "Value didn't begin with semi-colon.").failure();
            }
            int index = 0;
            if (name.length() > NAME.length()) {
                try {
                    index = Integer.parseInt(name.substring(NAME.length() + 1));
                } catch (NumberFormatException e) {
                    throw BareError.invalid("request.headers." + name, "Header name has no part number.").failure();
                }
            }
            parts.put(index, value.substring(1));
        }
        return String.join("", parts.values());
    }

    /**
     * Where the part starting at {@code from} ends: after at most {@link #PART} characters, but never just
     * after a space or tab, which every HTTP parser (and {@code fetch}) trims from a header value; the
     * leading {@code ;} protects only the start. A part that would be all blanks runs on to the next
     * non-blank character instead (parts may differ in length; the client only concatenates them).
     */
    private static int cut(String value, int from) {
        int end = Math.min(value.length(), from + PART);
        if (end == value.length()) {
            return end;
        }
        int back = end;
        while (back > from && isBlank(value.charAt(back - 1))) {
            back--;
        }
        if (back > from) {
            return back;
        }
        while (end < value.length() && isBlank(value.charAt(end - 1))) {
            end++;
        }
        return end;
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    /** Response header lines for {@code value}: itself when short, else its parts. */
    static List<String[]> split(String value) {
        List<String[]> out = new ArrayList<>();
        if (value.length() <= PART) {
            out.add(new String[] {NAME, value});
            return out;
        }
        for (int i = 0, n = 0; i < value.length(); n++) {
            int end = cut(value, i);
            out.add(new String[] {NAME + "-" + n, ";" + value.substring(i, end)});
            i = end;
        }
        return out;
    }
}

package dev.strata.broker.console;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Text for the console's pages: every string that comes from the broker's state (topic and group names, hosts, error
 * messages) goes through {@link #escape} before it is written into HTML, so a topic named {@code <script>} shows as
 * text; numbers, bytes, offsets and times in the forms the pages use.
 */
final class Html {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private Html() {}

    /** {@code s} as HTML text or attribute value (quoted with {@code "} or {@code '}); null as empty. */
    static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** A byte count with a binary unit: {@code 0 B}, {@code 512 B}, {@code 1.5 KiB}, {@code 60.0 MiB}. */
    static String bytes(double bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double value = bytes;
        int unit = 0;
        while (Math.abs(value) >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? Math.round(value) + " B" : String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    /** An offset, or {@code -} for -1 (none). */
    static String offset(long offset) {
        return offset < 0 ? "-" : Long.toString(offset);
    }

    /** An epoch-millisecond time in UTC, or {@code -} for -1 (never). */
    static String time(long epochMs) {
        return epochMs < 0 ? "-" : TIME.format(Instant.ofEpochMilli(epochMs));
    }

    /** Broker ids as {@code 1, 2, 3}. */
    static String ids(List<Integer> ids) {
        return ids.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }
}

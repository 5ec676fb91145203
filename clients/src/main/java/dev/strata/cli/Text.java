package dev.strata.cli;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** How the command line writes numbers, sizes, times and tables: one place, so every command reads the same. */
final class Text {

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    private Text() {}

    /** {@code bytes} in binary units with one decimal: {@code 0 B}, {@code 512 B}, {@code 1.5 KiB}, {@code 2.0 GiB}. */
    static String bytes(long bytes) {
        if (bytes < 0) {
            return "-";
        }
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    /** An offset, or {@code -} for -1 (none). */
    static String offset(long offset) {
        return offset < 0 ? "-" : Long.toString(offset);
    }

    /** Epoch milliseconds as UTC ISO-8601 to the second, or {@code -} for none. */
    static String time(long epochMs) {
        return epochMs < 0 ? "-" : TIME.format(Instant.ofEpochMilli(epochMs));
    }

    /** Seconds as {@code m:ss} or {@code h:mm:ss}. */
    static String duration(long seconds) {
        if (seconds < 0) {
            return "-";
        }
        long h = seconds / 3600;
        long m = (seconds % 3600) / 60;
        long s = seconds % 60;
        return h > 0
                ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s)
                : String.format(Locale.ROOT, "%d:%02d", m, s);
    }

    /** A table whose columns are as wide as their widest cell, separated by two spaces; numbers are not aligned. */
    static final class Table {
        private final List<String[]> rows = new ArrayList<>();
        private final int columns;

        Table(String... header) {
            this.columns = header.length;
            rows.add(header);
        }

        Table row(Object... cells) {
            if (cells.length != columns) {
                throw new IllegalArgumentException("expected " + columns + " cells, got " + cells.length);
            }
            String[] row = new String[columns];
            for (int i = 0; i < columns; i++) {
                row[i] = String.valueOf(cells[i]);
            }
            rows.add(row);
            return this;
        }

        int size() {
            return rows.size() - 1;
        }

        void print(PrintWriter out) {
            int[] widths = new int[columns];
            for (String[] row : rows) {
                for (int i = 0; i < columns; i++) {
                    widths[i] = Math.max(widths[i], row[i].length());
                }
            }
            for (String[] row : rows) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < columns; i++) {
                    line.append(row[i]);
                    if (i < columns - 1) {
                        line.append(" ".repeat(widths[i] - row[i].length() + 2));
                    }
                }
                out.println(line.toString().stripTrailing());
            }
        }
    }
}

package dev.strata.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * The live progress line of a replay on stderr: records and bytes read, MB/s, the share of the range up to the end
 * offsets seen at the start, the time left at the current pace, and how many of the bytes were below the local log
 * start offset, so came from the remote tier. Redrawn in place ({@code \r}) at most every {@value #REDRAW_MS} ms, only
 * when stderr is a terminal.
 */
final class Progress {

    static final long REDRAW_MS = 250;

    private final PrintWriter err;
    private final long startNanos;
    private long lastDrawNanos = Long.MIN_VALUE;
    private int lastWidth;

    Progress(PrintWriter err, long startNanos) {
        this.err = err;
        this.startNanos = startNanos;
    }

    /** Whether stderr is a terminal: {@code bin/strata} tells ({@code strata.stderr.tty}), else the JVM's console. */
    static boolean stderrIsTerminal() {
        String told = System.getProperty("strata.stderr.tty");
        return told != null ? told.equals("true") : System.console() != null;
    }

    /** Redraws the line if the last drawing is old enough. */
    void update(long nowNanos, long records, long bytes, long remoteBytes, long offsetsDone, long offsetsTotal) {
        if (lastDrawNanos != Long.MIN_VALUE && nowNanos - lastDrawNanos < REDRAW_MS * 1_000_000) {
            return;
        }
        draw(nowNanos, records, bytes, remoteBytes, offsetsDone, offsetsTotal);
    }

    /** Draws the line now (the final state) and ends it with a newline. */
    void finish(long nowNanos, long records, long bytes, long remoteBytes, long offsetsDone, long offsetsTotal) {
        draw(nowNanos, records, bytes, remoteBytes, offsetsDone, offsetsTotal);
        err.println();
        err.flush();
    }

    private void draw(long nowNanos, long records, long bytes, long remoteBytes, long offsetsDone, long offsetsTotal) {
        lastDrawNanos = nowNanos;
        String text = line((nowNanos - startNanos) / 1e9, records, bytes, remoteBytes, offsetsDone, offsetsTotal);
        int pad = Math.max(0, lastWidth - text.length());
        lastWidth = text.length();
        err.print("\r" + text + " ".repeat(pad));
        err.flush();
    }

    /**
     * The progress line's text.
     *
     * @param elapsedSeconds since the replay started
     * @param offsetsDone offsets passed so far over the partitions
     * @param offsetsTotal offsets from the start positions to the end offsets seen at the start, 0 when unknown
     */
    static String line(
            double elapsedSeconds, long records, long bytes, long remoteBytes, long offsetsDone, long offsetsTotal) {
        double mbPerSecond = elapsedSeconds > 0 ? bytes / 1e6 / elapsedSeconds : 0;
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%,d records  %s  %.1f MB/s", records, Text.bytes(bytes), mbPerSecond));
        if (offsetsTotal > 0) {
            double fraction = Math.min(1.0, (double) offsetsDone / offsetsTotal);
            out.append(String.format(Locale.ROOT, "  %3.0f%%", fraction * 100));
            long eta = -1;
            if (offsetsDone > 0 && elapsedSeconds > 0) {
                double rate = offsetsDone / elapsedSeconds;
                eta = (long) Math.ceil(Math.max(0, offsetsTotal - offsetsDone) / rate);
            }
            out.append("  ETA ").append(eta < 0 ? "-" : Text.duration(eta));
        }
        if (remoteBytes > 0) {
            out.append("  remote tier ").append(Text.bytes(remoteBytes));
        }
        return out.toString();
    }
}

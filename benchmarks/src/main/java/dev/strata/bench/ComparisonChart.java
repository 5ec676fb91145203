package dev.strata.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Draws a comparison as a PNG: per metric a pair of bars (Apache Kafka, Strata), each pair scaled to its larger value
 * because the metrics have different units, with the values written above the bars. Plain java.awt in headless mode.
 */
final class ComparisonChart {
    private static final Color KAFKA = new Color(0x5A, 0x5A, 0x5A);
    private static final Color STRATA = new Color(0x1F, 0x77, 0xB4);
    private static final int GROUP_WIDTH = 110;
    private static final int BAR_WIDTH = 36;
    private static final int PLOT_HEIGHT = 320;
    private static final int TOP = 90;
    private static final int LEFT = 40;

    private ComparisonChart() {}

    static void write(Path file, String title, List<ComparisonRow> rows) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int width = Math.max(640, LEFT * 2 + GROUP_WIDTH * rows.size());
        int height = TOP + PLOT_HEIGHT + 90;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.drawString(title, LEFT, 28);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            legend(g, LEFT, 50);
            int baseline = TOP + PLOT_HEIGHT;
            g.setColor(Color.LIGHT_GRAY);
            g.setStroke(new BasicStroke(1));
            g.drawLine(LEFT, baseline, width - LEFT, baseline);
            for (int i = 0; i < rows.size(); i++) {
                drawGroup(g, rows.get(i), LEFT + i * GROUP_WIDTH, baseline);
            }
        } finally {
            g.dispose();
        }
        ImageIO.write(image, "png", file.toFile());
    }

    private static void legend(Graphics2D g, int x, int y) {
        g.setColor(KAFKA);
        g.fillRect(x, y - 10, 12, 12);
        g.setColor(Color.BLACK);
        g.drawString("Apache Kafka", x + 18, y);
        g.setColor(STRATA);
        g.fillRect(x + 130, y - 10, 12, 12);
        g.setColor(Color.BLACK);
        g.drawString("Strata", x + 148, y);
        g.drawString(
                "(each pair scaled to its larger value; \u2191 higher is better, \u2193 lower is better)", x + 220, y);
    }

    private static void drawGroup(Graphics2D g, ComparisonRow row, int x, int baseline) {
        double max = Math.max(value(row.kafka()), value(row.strata()));
        int center = x + GROUP_WIDTH / 2;
        bar(g, row.kafka(), max, center - BAR_WIDTH - 2, baseline, KAFKA);
        bar(g, row.strata(), max, center + 2, baseline, STRATA);
        g.setColor(Color.BLACK);
        Metric m = row.metric();
        centered(g, m.name() + (m.higherIsBetter() ? " \u2191" : " \u2193"), center, baseline + 18);
        centered(g, m.unit(), center, baseline + 34);
        Double ratio = row.ratio();
        if (ratio != null) {
            centered(g, String.format(Locale.ROOT, "S/K %.2f", ratio), center, baseline + 52);
        }
    }

    private static void bar(Graphics2D g, Double value, double max, int x, int baseline, Color color) {
        if (value == null) {
            g.setColor(Color.GRAY);
            centered(g, "n/a", x + BAR_WIDTH / 2, baseline - 4);
            return;
        }
        int h = max > 0 ? (int) Math.round(PLOT_HEIGHT * value / max) : 0;
        g.setColor(color);
        g.fillRect(x, baseline - h, BAR_WIDTH, h);
        g.setColor(Color.BLACK);
        centered(g, compact(value), x + BAR_WIDTH / 2, baseline - h - 4);
    }

    private static void centered(Graphics2D g, String text, int center, int y) {
        FontMetrics fm = g.getFontMetrics();
        g.drawString(text, center - fm.stringWidth(text) / 2, y);
    }

    private static double value(Double v) {
        return v == null ? 0 : v;
    }

    static String compact(double v) {
        if (v >= 1_000_000) {
            return String.format(Locale.ROOT, "%.1fM", v / 1_000_000);
        }
        if (v >= 10_000) {
            return String.format(Locale.ROOT, "%.0fk", v / 1000);
        }
        if (v >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }
}

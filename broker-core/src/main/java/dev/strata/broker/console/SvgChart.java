package dev.strata.broker.console;

import java.util.List;
import java.util.Locale;

/**
 * A small line chart as inline SVG (no script, no external file): one series of values at equal steps, scaled to the
 * largest value, with the latest value and the maximum written beside it. The console draws the rates and gauges of its
 * {@link MetricHistory} with it.
 */
final class SvgChart {

    static final int WIDTH = 300;
    static final int HEIGHT = 70;

    /** How a value is written under the chart. */
    interface Unit {
        String format(double value);
    }

    private SvgChart() {}

    /**
     * A titled chart of {@code values} (oldest first); with fewer than two values it says that it is still collecting.
     */
    static String render(String title, List<Double> values, Unit unit) {
        StringBuilder out = new StringBuilder("<figure class=\"chart\"><figcaption>")
                .append(Html.escape(title))
                .append("</figcaption>");
        if (values.size() < 2) {
            return out.append("<div class=\"muted\">collecting samples…</div></figure>")
                    .toString();
        }
        double max = values.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        double scale = max <= 0 ? 0 : (HEIGHT - 4) / max;
        double step = (double) WIDTH / (values.size() - 1);
        StringBuilder points = new StringBuilder();
        for (int i = 0; i < values.size(); i++) {
            double y = HEIGHT - 2 - Math.max(0, values.get(i)) * scale;
            points.append(String.format(Locale.ROOT, "%s%.1f,%.1f", i == 0 ? "" : " ", i * step, y));
        }
        out.append("<svg viewBox=\"0 0 ")
                .append(WIDTH)
                .append(' ')
                .append(HEIGHT)
                .append("\" width=\"")
                .append(WIDTH)
                .append("\" height=\"")
                .append(HEIGHT)
                .append("\" role=\"img\"><polyline fill=\"none\" stroke=\"#2b6cb0\" stroke-width=\"1.5\" points=\"")
                .append(points)
                .append("\"/></svg><div class=\"muted\">now ")
                .append(Html.escape(unit.format(values.get(values.size() - 1))))
                .append(" · max ")
                .append(Html.escape(unit.format(max)))
                .append("</div></figure>");
        return out.toString();
    }
}

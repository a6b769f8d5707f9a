package io.omnistream.loadtests.loop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A self-contained HTML report (inline SVG, no scripts, no downloads) for the whole-loop benchmarks, written under
 * {@code load-tests/target/}: bar charts of latency per turn or per step with the 200 / 300 ms targets drawn in,
 * and tables of the figures.
 */
public final class HtmlReport {
    private final StringBuilder body = new StringBuilder();
    private final String title;

    public HtmlReport(String title) {
        this.title = title;
    }

    public HtmlReport heading(String h) {
        body.append("<h2>").append(esc(h)).append("</h2>\n");
        return this;
    }

    public HtmlReport paragraph(String text) {
        body.append("<p>").append(esc(text)).append("</p>\n");
        return this;
    }

    public HtmlReport pre(String text) {
        body.append("<pre>").append(esc(text)).append("</pre>\n");
        return this;
    }

    /** A markdown table (as written to RESULTS.md) rendered as an HTML table. */
    public HtmlReport table(String markdown) {
        body.append("<table>\n");
        for (String line : markdown.strip().split("\n")) {
            if (line.matches("\\|[-| ]+\\|") || !line.startsWith("|") || line.length() < 2) {
                continue; // separator row, or text between tables
            }
            body.append("<tr>");
            String[] cells = line.substring(1, line.length() - 1).split("\\|");
            for (String c : cells) {
                body.append("<td>").append(esc(c.trim())).append("</td>");
            }
            body.append("</tr>\n");
        }
        body.append("</table>\n");
        return this;
    }

    /** Vertical bars (one per value) with dashed lines at the given thresholds. */
    public HtmlReport bars(String caption, List<String> labels, List<Double> values, String unit, double... lines) {
        int w = 760, h = 240, left = 50, bottom = 30;
        double top = 1;
        for (double v : values) {
            top = Math.max(top, v);
        }
        for (double l : lines) {
            top = Math.max(top, l * 1.1);
        }
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<figure><svg width='%d' height='%d' viewBox='0 0 %d %d' font-size='10'>", w, h, w, h));
        double plotH = h - bottom - 10, plotW = w - left - 10;
        double bw = plotW / Math.max(1, values.size());
        for (int i = 0; i < values.size(); i++) {
            double v = values.get(i);
            double bh = v / top * plotH;
            String color = lines.length > 0 && v > lines[lines.length - 1] ? "#b22222" : lines.length > 0 && v > lines[0] ? "#b8860b" : "#1f8a4c";
            s.append(String.format(Locale.ROOT, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'><title>%s: %.1f %s</title></rect>",
                    left + i * bw + 1, 10 + plotH - bh, Math.max(1, bw - 2), bh, color, esc(labels.get(i)), v, unit));
            if (values.size() <= 40) {
                s.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' text-anchor='middle'>%s</text>", left + i * bw + bw / 2,
                        h - bottom + 14, esc(labels.get(i))));
            }
        }
        for (double l : lines) {
            double y = 10 + plotH - l / top * plotH;
            s.append(String.format(Locale.ROOT, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#1d2330' stroke-dasharray='4 3'/>"
                    + "<text x='2' y='%.1f'>%.0f %s</text>", left, w - 10, y, y, y + 3, l, unit));
        }
        s.append(String.format(Locale.ROOT, "<text x='2' y='12'>%.0f %s</text>", top, unit));
        s.append("</svg><figcaption>").append(esc(caption)).append("</figcaption></figure>\n");
        body.append(s);
        return this;
    }

    /** Histogram of values in fixed-width buckets. */
    public HtmlReport histogram(String caption, List<Double> values, double bucket, String unit, double... lines) {
        if (values.isEmpty()) {
            return paragraph(caption + ": no values");
        }
        double max = values.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        int n = (int) Math.floor(max / bucket) + 1;
        java.util.List<Double> counts = new java.util.ArrayList<>();
        java.util.List<String> labels = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            counts.add(0.0);
            labels.add(String.format(Locale.ROOT, "%.0f", i * bucket));
        }
        for (double v : values) {
            int b = (int) Math.floor(v / bucket);
            counts.set(b, counts.get(b) + 1);
        }
        return bars(caption + " (bucket " + bucket + " " + unit + "; bar label = bucket start)", labels, counts, "turns");
    }

    public void write(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>" + esc(title)
                + "</title><style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d2330}"
                + "table{border-collapse:collapse;font-size:.85rem}td{border:1px solid #ccc;padding:.15rem .45rem}"
                + "figure{margin:.5rem 0}figcaption{font-size:.85rem;color:#555}pre{background:#f5f6f8;padding:.5rem}</style>"
                + "</head><body><h1>" + esc(title) + "</h1>\n" + body + "</body></html>\n");
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
    }
}

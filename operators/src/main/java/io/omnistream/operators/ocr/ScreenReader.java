package io.omnistream.operators.ocr;

import static org.bytedeco.tesseract.global.tesseract.RIL_TEXTLINE;
import static org.bytedeco.tesseract.global.tesseract.TessDeleteText;

import io.omnistream.operators.understand.UnderstandingConfig;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.tesseract.ResultIterator;
import org.bytedeco.tesseract.TessBaseAPI;

/**
 * Tesseract (JavaCPP preset) reading one screen picture: the JPEG is decoded, turned to grey and
 * scaled up to a height Tesseract reads well ({@link Page}), then recognised, as a whole or only a rectangle of it.
 * One instance per operator instance; not thread-safe.
 */
public final class ScreenReader implements AutoCloseable {
    private final TessBaseAPI api = new TessBaseAPI();
    private final int minHeight;

    /** A picture prepared for reading: grey, scaled by {@code scale} to at least the configured height. */
    public record Page(byte[] grey, int width, int height, double scale) {
        /** Pixels of the picture as it came (before scaling) inside a rectangle of this page. */
        long sourcePixels(Box r) {
            return Math.round((double) r.width() * r.height() / (scale * scale));
        }
    }

    /** A rectangle of a page, in page pixels; right and bottom exclusive. */
    public record Box(int left, int top, int right, int bottom) {
        int width() {
            return right - left;
        }

        int height() {
            return bottom - top;
        }

        boolean intersects(Box o) {
            return left < o.right && o.left < right && top < o.bottom && o.top < bottom;
        }

        Box union(Box o) {
            return new Box(Math.min(left, o.left), Math.min(top, o.top), Math.max(right, o.right), Math.max(bottom, o.bottom));
        }

        Box grow(int margin, int width, int height) {
            return new Box(Math.max(0, left - margin), Math.max(0, top - margin), Math.min(width, right + margin),
                    Math.min(height, bottom + margin));
        }
    }

    /** One recognised text line: its text, where it is on the page, and Tesseract's confidence (0..1). */
    public record Line(String text, Box box, float confidence) {}

    /** Recognised text of one picture. */
    public static final class Result {
        public final List<String> lines;
        public final float confidence;
        /** The lines with their boxes, in reading order (the same lines as {@link #lines}). */
        public final List<Line> boxes;
        /** Pixels of the picture (as it came, before scaling) that the recogniser read. */
        public final long pixelsRead;

        Result(List<Line> boxes, float confidence, long pixelsRead) {
            this.boxes = List.copyOf(boxes);
            this.lines = boxes.stream().map(Line::text).toList();
            this.confidence = confidence;
            this.pixelsRead = pixelsRead;
        }

        public String text() {
            return String.join("\n", lines);
        }
    }

    public ScreenReader(UnderstandingConfig config) {
        String data = config.resolvedTessdataDir();
        if (api.Init(data, config.ocrLanguage) != 0) {
            api.close();
            throw new IllegalStateException("Tesseract could not load " + config.ocrLanguage + " from " + data);
        }
        api.SetPageSegMode(config.ocrPageSegMode);
        this.minHeight = config.ocrMinHeight;
    }

    /** Decodes a JPEG (or PNG) picture; throws IllegalArgumentException when it cannot be decoded. */
    public static BufferedImage decode(byte[] encoded) {
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(encoded));
        } catch (IOException e) {
            throw new IllegalArgumentException("screen picture cannot be decoded: " + e.getMessage(), e);
        }
        if (img == null) {
            throw new IllegalArgumentException("screen picture is not a JPEG/PNG image (" + encoded.length + " bytes)");
        }
        return img;
    }

    /** Reads a JPEG (or PNG) picture; throws IllegalArgumentException when it cannot be decoded. */
    public Result read(byte[] encoded) {
        return read(decode(encoded));
    }

    public Result read(BufferedImage img) {
        return read(page(img), null);
    }

    /** The picture in grey, scaled up as the recogniser reads it. */
    public Page page(BufferedImage img) {
        double scale = img.getHeight() < minHeight ? (double) minHeight / img.getHeight() : 1.0;
        int w = (int) Math.round(img.getWidth() * scale);
        int h = (int) Math.round(img.getHeight() * scale);
        BufferedImage grey = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = grey.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
        g.drawImage(img, 0, 0, w, h, null);
        g.dispose();
        return new Page(((DataBufferByte) grey.getRaster().getDataBuffer()).getData(), w, h, scale);
    }

    /**
     * Reads the page, or only {@code region} of it (null: all of it). Line boxes are in page pixels either way. The
     * confidence is Tesseract's mean word confidence of what was read.
     */
    public Result read(Page page, Box region) {
        api.SetImage(page.grey(), page.width(), page.height(), 1, page.width());
        api.SetSourceResolution((int) Math.round(96 * page.scale() * 1.5));
        Box read = region == null ? new Box(0, 0, page.width(), page.height()) : region;
        if (region != null) {
            api.SetRectangle(region.left(), region.top(), region.width(), region.height());
        }
        List<Line> lines = new ArrayList<>();
        try {
            if (api.Recognize(null) == 0) {
                try (ResultIterator it = api.GetIterator()) {
                    if (it != null) {
                        collectLines(it, lines);
                    }
                }
            }
            float conf = api.MeanTextConf() / 100f;
            return new Result(lines, conf, page.sourcePixels(read));
        } finally {
            api.Clear();
        }
    }

    private static void collectLines(ResultIterator it, List<Line> lines) {
        int[] l = new int[1], t = new int[1], r = new int[1], b = new int[1];
        do {
            if (it.Empty(RIL_TEXTLINE)) {
                continue;
            }
            BytePointer text = it.GetUTF8Text(RIL_TEXTLINE);
            if (text == null) {
                continue;
            }
            String s;
            try {
                s = text.getString(StandardCharsets.UTF_8);
            } finally {
                TessDeleteText(text);
            }
            if (!it.BoundingBox(RIL_TEXTLINE, l, t, r, b)) {
                continue;
            }
            float conf = it.Confidence(RIL_TEXTLINE) / 100f;
            // a text line as GetUTF8Text writes it: one per line, blank ones left out
            for (String part : s.split("\n")) {
                String trimmed = part.trim();
                if (!trimmed.isEmpty()) {
                    lines.add(new Line(trimmed, new Box(l[0], t[0], r[0], b[0]), conf));
                }
            }
        } while (it.Next(RIL_TEXTLINE));
    }

    @Override
    public void close() {
        api.End();
        api.close();
    }
}

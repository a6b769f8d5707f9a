package io.omnistream.operators.ocr;

import io.omnistream.operators.understand.UnderstandingConfig;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.tesseract.TessBaseAPI;

/**
 * Tesseract (JavaCPP preset) reading one screen picture: the JPEG is decoded, turned to grey and
 * scaled up to a height Tesseract reads well, then recognised. One instance per operator instance;
 * not thread-safe.
 */
public final class ScreenReader implements AutoCloseable {
    private final TessBaseAPI api = new TessBaseAPI();
    private final int minHeight;

    /** Recognised text of one picture. */
    public static final class Result {
        public final List<String> lines;
        public final float confidence;

        Result(List<String> lines, float confidence) {
            this.lines = lines;
            this.confidence = confidence;
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

    /** Reads a JPEG (or PNG) picture; throws IllegalArgumentException when it cannot be decoded. */
    public Result read(byte[] encoded) {
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(encoded));
        } catch (IOException e) {
            throw new IllegalArgumentException("screen picture cannot be decoded: " + e.getMessage(), e);
        }
        if (img == null) {
            throw new IllegalArgumentException("screen picture is not a JPEG/PNG image (" + encoded.length + " bytes)");
        }
        return read(img);
    }

    public Result read(BufferedImage img) {
        double scale = img.getHeight() < minHeight ? (double) minHeight / img.getHeight() : 1.0;
        int w = (int) Math.round(img.getWidth() * scale);
        int h = (int) Math.round(img.getHeight() * scale);
        BufferedImage grey = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = grey.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
        g.drawImage(img, 0, 0, w, h, null);
        g.dispose();
        byte[] pixels = ((DataBufferByte) grey.getRaster().getDataBuffer()).getData();
        api.SetImage(pixels, w, h, 1, w);
        api.SetSourceResolution((int) Math.round(96 * scale * 1.5));
        BytePointer text = api.GetUTF8Text();
        String s = text == null ? "" : text.getString(java.nio.charset.StandardCharsets.UTF_8);
        if (text != null) {
            text.deallocate();
        }
        float conf = api.MeanTextConf() / 100f;
        api.Clear();
        List<String> lines = new ArrayList<>();
        for (String line : s.split("\n")) {
            String t = line.trim();
            if (!t.isEmpty()) {
                lines.add(t);
            }
        }
        return new Result(lines, conf);
    }

    @Override
    public void close() {
        api.End();
        api.close();
    }
}

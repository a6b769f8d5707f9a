package io.omnistream.gpu.testutils;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Camera frames made from a real photo (the astronaut): the photo placed on backgrounds of the sizes sessions send
 * (VGA, 720p, portrait, odd sizes), converted to I420 the way a video encoder's input is (BT.601 limited range,
 * chroma averaged over each 2×2 cell), and the float-RGB letterbox the BlazeFace tests used so far.
 */
public final class CameraFrames {
    private CameraFrames() {}

    /** A camera frame: its RGB picture and the same picture in I420. */
    public record Frame(String name, BufferedImage rgb, byte[] i420) {
        public int width() {
            return rgb.getWidth();
        }

        public int height() {
            return rgb.getHeight();
        }
    }

    public static Frame of(String name, BufferedImage rgb) {
        return new Frame(name, rgb, toI420(rgb));
    }

    /**
     * The astronaut's head and shoulders (a 250-pixel square of the photo around the face) scaled to {@code size}
     * pixels square at ({@code x}, {@code y}) on a {@code w×h} background of
     * smooth noise (seeded), optionally mirrored.
     */
    public static BufferedImage scene(BufferedImage photo, int w, int h, int x, int y, int size, boolean mirror, long seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        SplittableRandom r = new SplittableRandom(seed);
        int base = 60 + r.nextInt(120);
        for (int yy = 0; yy < h; yy++) {
            for (int xx = 0; xx < w; xx++) {
                int v = Math.max(0, Math.min(255, base + (xx * 40) / w - (yy * 30) / h + r.nextInt(-6, 7)));
                img.setRGB(xx, yy, new Color(v, Math.min(255, v + 10), Math.max(0, v - 15)).getRGB());
            }
        }
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        BufferedImage head = photo.getSubimage(100, 10, 250, 250);
        if (mirror) {
            g.drawImage(head, x + size, y, -size, size, null);
        } else {
            g.drawImage(head, x, y, size, size, null);
        }
        g.dispose();
        return img;
    }

    /** Frames of different sessions: several sizes and aspect ratios, one without a face. */
    public static List<Frame> sessions(BufferedImage photo) {
        List<Frame> f = new ArrayList<>();
        f.add(of("photo 512x512", photo));
        f.add(of("vga", scene(photo, 640, 480, 150, 70, 380, false, 1)));
        f.add(of("vga mirrored", scene(photo, 640, 480, 60, 40, 420, true, 2)));
        f.add(of("720p", scene(photo, 1280, 720, 420, 30, 640, false, 3)));
        f.add(of("portrait 480x640", scene(photo, 480, 640, 20, 120, 440, false, 4)));
        f.add(of("odd 333x251", scene(photo, 333, 251, 60, 3, 245, false, 5)));
        f.add(of("small 161x121", scene(photo, 161, 121, 25, 1, 118, false, 6)));
        f.add(of("no face 640x480", scene(photo, 640, 480, 0, 0, 0, false, 7)));
        return f;
    }

    /** {@link #sessions} of the astronaut photo in {@code .models} as plain I420 frames. */
    public static List<CameraFrameSet.I420Frame> sessionFrames() throws java.io.IOException {
        BufferedImage photo = javax.imageio.ImageIO.read(io.omnistream.gpu.encoders.EncoderModels.require(
                io.omnistream.gpu.encoders.EncoderModels.ASTRONAUT).toFile());
        List<CameraFrameSet.I420Frame> out = new ArrayList<>();
        for (Frame f : sessions(photo)) {
            out.add(new CameraFrameSet.I420Frame(f.name(), f.width(), f.height(), f.i420()));
        }
        return out;
    }

    /** BT.601 limited range, chroma from the mean RGB of each 2×2 cell (cells cut by an odd edge use what exists). */
    public static byte[] toI420(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        int cw = (w + 1) / 2;
        int ch = (h + 1) / 2;
        byte[] out = new byte[w * h + 2 * cw * ch];
        int[] rgb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < w * h; i++) {
            int p = rgb[i];
            double r = (p >> 16) & 0xff;
            double g = (p >> 8) & 0xff;
            double b = p & 0xff;
            out[i] = (byte) clamp(Math.round(16 + 0.257 * r + 0.504 * g + 0.098 * b));
        }
        for (int cy = 0; cy < ch; cy++) {
            for (int cx = 0; cx < cw; cx++) {
                double r = 0;
                double g = 0;
                double b = 0;
                int n = 0;
                for (int y = 2 * cy; y < Math.min(h, 2 * cy + 2); y++) {
                    for (int x = 2 * cx; x < Math.min(w, 2 * cx + 2); x++) {
                        int p = rgb[y * w + x];
                        r += (p >> 16) & 0xff;
                        g += (p >> 8) & 0xff;
                        b += p & 0xff;
                        n++;
                    }
                }
                r /= n;
                g /= n;
                b /= n;
                out[w * h + cy * cw + cx] = (byte) clamp(Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b));
                out[w * h + cw * ch + cy * cw + cx] = (byte) clamp(Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b));
            }
        }
        return out;
    }

    private static long clamp(long v) {
        return Math.max(0, Math.min(255, v));
    }

    /**
     * The float-RGB path of the BlazeFace tests so far ({@code BlazeFaceOracleTest}): the whole picture area-averaged
     * down to fit 128×128 (integer-aligned source cells), centred on black, rounded to 8 bits, NHWC in [-1, 1].
     */
    public static float[] rgbLetterbox(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        float scale = 128f / Math.max(w, h);
        int rw = Math.max(1, Math.round(w * scale));
        int rh = Math.max(1, Math.round(h * scale));
        int padX = (128 - rw) / 2;
        int padY = (128 - rh) / 2;
        float[] out = new float[128 * 128 * 3];
        Arrays.fill(out, -1f);
        for (int y = 0; y < rh; y++) {
            for (int x = 0; x < rw; x++) {
                int sx0 = (int) Math.floor(x / scale);
                int sx1 = Math.min(w, Math.max(sx0 + 1, (int) Math.floor((x + 1) / scale)));
                int sy0 = (int) Math.floor(y / scale);
                int sy1 = Math.min(h, Math.max(sy0 + 1, (int) Math.floor((y + 1) / scale)));
                double[] sum = new double[3];
                int count = 0;
                for (int sy = sy0; sy < sy1; sy++) {
                    for (int sx = sx0; sx < sx1; sx++) {
                        int p = img.getRGB(sx, sy);
                        sum[0] += (p >> 16) & 0xff;
                        sum[1] += (p >> 8) & 0xff;
                        sum[2] += p & 0xff;
                        count++;
                    }
                }
                for (int c = 0; c < 3; c++) {
                    out[((y + padY) * 128 + x + padX) * 3 + c] = Math.round(sum[c] / count) * (2f / 255f) - 1f;
                }
            }
        }
        return out;
    }
}

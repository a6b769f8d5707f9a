package io.omnistream.connectors.edge;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * I420 planes to JPEG with the JDK's own codec ({@code javax.imageio}): the edge only encodes ≤ 320x240 at
 * ≤ 15 fps and ≤ 1280x720 at ≤ 2 fps, which costs a few milliseconds per picture in pure Java, so no native
 * OpenCV build is pulled into the edge. Scaling happens earlier in WebRTC's native {@code cropAndScale}.
 */
public final class JpegEncoder {
    private final float quality;

    public JpegEncoder(float quality) {
        this.quality = quality;
    }

    /** Encodes tightly or loosely packed I420 planes (BT.601 limited range) as a JPEG. */
    public byte[] encodeI420(I420 frame) {
        int w = frame.width();
        int h = frame.height();
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int y = 0; y < h; y++) {
            int yRow = y * frame.strideY();
            int cRow = (y >> 1);
            for (int x = 0; x < w; x++) {
                int yy = (frame.y()[yRow + x] & 0xff) - 16;
                int u = (frame.u()[cRow * frame.strideU() + (x >> 1)] & 0xff) - 128;
                int v = (frame.v()[cRow * frame.strideV() + (x >> 1)] & 0xff) - 128;
                int c = 298 * Math.max(yy, 0);
                int r = (c + 409 * v + 128) >> 8;
                int g = (c - 100 * u - 208 * v + 128) >> 8;
                int b = (c + 516 * u + 128) >> 8;
                int o = (y * w + x) * 3;
                bgr[o] = (byte) clamp(b);
                bgr[o + 1] = (byte) clamp(g);
                bgr[o + 2] = (byte) clamp(r);
            }
        }
        return encode(img);
    }

    /** Encodes any image as a JPEG at this encoder's quality. */
    public byte[] encode(BufferedImage img) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream(32 * 1024);
        try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(ios);
            ImageWriteParam p = writer.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(quality);
            writer.write(null, new IIOImage(img, null, null), p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private static int clamp(int c) {
        return c < 0 ? 0 : Math.min(c, 255);
    }

    /** Copied I420 planes, independent of WebRTC's native buffers. */
    public record I420(int width, int height, byte[] y, int strideY, byte[] u, int strideU, byte[] v, int strideV) {

        /** Mean luma of a {@code gw x gh} grid of cells: a cheap fingerprint to tell whether a picture changed. */
        public float[] thumbnail(int gw, int gh) {
            float[] t = new float[gw * gh];
            for (int gy = 0; gy < gh; gy++) {
                for (int gx = 0; gx < gw; gx++) {
                    int x0 = gx * width / gw, x1 = Math.max(x0 + 1, (gx + 1) * width / gw);
                    int y0 = gy * height / gh, y1 = Math.max(y0 + 1, (gy + 1) * height / gh);
                    long sum = 0;
                    int n = 0;
                    for (int yy = y0; yy < y1; yy += 2) {
                        for (int xx = x0; xx < x1; xx += 2) {
                            sum += y[yy * strideY + xx] & 0xff;
                            n++;
                        }
                    }
                    t[gy * gw + gx] = n == 0 ? 0 : (float) sum / n;
                }
            }
            return t;
        }
    }
}

package io.omnistream.gpu.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * JPEG camera pictures → {@link RgbPicture} with the JDK's own decoder ({@code javax.imageio}): the host
 * specification of the JPEG camera path ({@code BlazeFaceEncoder.detectJpeg}), which nvJPEG replaces on the device.
 * Both decode baseline and progressive JFIF (YCbCr, full range) and greyscale JPEGs; they may differ by a few levels
 * per pixel (IDCT and chroma upsampling), which is why the GPU test compares faces within stated tolerances.
 *
 * <p>Needs the {@code java.desktop} module (absent from the GPU bundle's Java runtime; the device path does not use
 * this class).
 */
public final class JdkJpegDecoder {
    static {
        ImageIO.setUseCache(false); // decode in memory, never through temporary files
    }

    private JdkJpegDecoder() {}

    /** Decodes one picture; throws {@link BadJpegException} with the decoder's reason when it cannot. */
    public static RgbPicture decode(byte[] jpeg) throws BadJpegException {
        if (jpeg == null || jpeg.length < 4 || (jpeg[0] & 0xff) != 0xFF || (jpeg[1] & 0xff) != 0xD8) {
            throw new BadJpegException("not a JPEG (no start-of-image marker, " + (jpeg == null ? 0 : jpeg.length) + " bytes)");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(jpeg))) {
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("jpeg");
            if (!readers.hasNext()) {
                throw new BadJpegException("no JPEG reader in this Java runtime");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                RgbPicture.checkSize(w, h);
                return toRgb(reader.read(0));
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new BadJpegException("JPEG not decodable: " + e.getMessage(), e);
        }
    }

    /** A decoded image as interleaved RGB bytes. */
    public static RgbPicture toRgb(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        byte[] rgb = new byte[w * h * 3];
        if (img.getType() == BufferedImage.TYPE_3BYTE_BGR && img.getRaster().getDataBuffer() instanceof DataBufferByte db
                && img.getRaster().getSampleModelTranslateX() == 0 && img.getRaster().getSampleModelTranslateY() == 0
                && db.getData().length == rgb.length) {
            byte[] bgr = db.getData();
            for (int i = 0; i < rgb.length; i += 3) {
                rgb[i] = bgr[i + 2];
                rgb[i + 1] = bgr[i + 1];
                rgb[i + 2] = bgr[i];
            }
        } else if (img.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            // the luma as it is in all three channels, as nvJPEG gives it (getRGB would apply a gamma curve)
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                img.getRaster().getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int p = (y * w + x) * 3;
                    rgb[p] = (byte) row[x];
                    rgb[p + 1] = (byte) row[x];
                    rgb[p + 2] = (byte) row[x];
                }
            }
        } else {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                img.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int p = (y * w + x) * 3;
                    rgb[p] = (byte) (row[x] >> 16);
                    rgb[p + 1] = (byte) (row[x] >> 8);
                    rgb[p + 2] = (byte) row[x];
                }
            }
        }
        return new RgbPicture(w, h, rgb);
    }
}

package io.omnistream.gpu.testutils;

import io.omnistream.gpu.encoders.EncoderModels;
import io.omnistream.gpu.image.RgbPicture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * JPEG camera pictures for the BlazeFace JPEG tests and benchmark, with each picture as the JDK's decoder gives it:
 * the astronaut photo, scaled and cropped copies and camera-sized scenes made from it ({@link CameraFrames#scene}),
 * encoded with the JDK's JPEG writer. Built with AWT where {@code java.desktop} exists, or read from a folder written
 * by {@link #main} (property {@value #DIR_PROPERTY}) on the GPU machine, whose bundled Java runtime has no AWT — there
 * the JDK-decoded RGB travels along as files, so the twin's half of the comparison runs on the device machine too.
 *
 * <p>Export (build machine): {@code java -cp <test classpath> io.omnistream.gpu.testutils.JpegPictureSet DIR}.
 */
public final class JpegPictureSet {
    public static final String DIR_PROPERTY = "omni.jpeg.pictures";
    /** Camera pictures of the benchmark: VGA, as sessions send them. */
    public static final int BENCH_PICTURES = 16;

    /** A picture: its JPEG bytes and the JDK decoder's RGB of them. */
    public record Picture(String name, byte[] jpeg, RgbPicture rgb) {
        public boolean hasFace() {
            return !name.startsWith("no face");
        }
    }

    private JpegPictureSet() {}

    /** The test pictures: several sizes and aspect ratios (one greyscale-free set), one without a face. */
    public static List<Picture> pictures() throws IOException {
        String dir = System.getProperty(DIR_PROPERTY);
        if (dir != null && !dir.isBlank()) {
            return read(Path.of(dir), "pictures.txt");
        }
        return Built.pictures();
    }

    /**
     * Other kinds of JPEG a browser may send: a progressive 320×240 scene and a greyscale photo (one channel), with a
     * baseline copy of the same scene first.
     */
    public static List<Picture> otherKinds() throws IOException {
        String dir = System.getProperty(DIR_PROPERTY);
        if (dir != null && !dir.isBlank()) {
            return read(Path.of(dir), "kinds.txt");
        }
        return Built.otherKinds();
    }

    /** {@value #BENCH_PICTURES} VGA JPEGs (scenes of the astronaut at different places and sizes, a quarter without a face). */
    public static List<byte[]> benchJpegs() throws IOException {
        String dir = System.getProperty(DIR_PROPERTY);
        List<byte[]> out = new ArrayList<>();
        if (dir != null && !dir.isBlank()) {
            for (int i = 0; i < BENCH_PICTURES; i++) {
                out.add(Files.readAllBytes(Path.of(dir, "bench" + i + ".jpg")));
            }
            return out;
        }
        return Built.benchJpegs();
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        StringBuilder index = new StringBuilder();
        List<Picture> pictures = Built.pictures();
        for (int i = 0; i < pictures.size(); i++) {
            Picture p = pictures.get(i);
            Files.write(dir.resolve("picture" + i + ".jpg"), p.jpeg());
            Files.write(dir.resolve("picture" + i + ".rgb"), p.rgb().rgb());
            index.append(p.name()).append('|').append(p.rgb().width()).append('|').append(p.rgb().height()).append('|')
                    .append("picture").append(i).append('\n');
        }
        Files.writeString(dir.resolve("pictures.txt"), index);
        StringBuilder kinds = new StringBuilder();
        List<Picture> other = Built.otherKinds();
        for (int i = 0; i < other.size(); i++) {
            Picture p = other.get(i);
            Files.write(dir.resolve("kind" + i + ".jpg"), p.jpeg());
            Files.write(dir.resolve("kind" + i + ".rgb"), p.rgb().rgb());
            kinds.append(p.name()).append('|').append(p.rgb().width()).append('|').append(p.rgb().height()).append('|')
                    .append("kind").append(i).append('\n');
        }
        Files.writeString(dir.resolve("kinds.txt"), kinds);
        List<byte[]> bench = Built.benchJpegs();
        for (int i = 0; i < bench.size(); i++) {
            Files.write(dir.resolve("bench" + i + ".jpg"), bench.get(i));
        }
    }

    private static List<Picture> read(Path dir, String indexFile) throws IOException {
        List<Picture> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(indexFile))) {
            if (line.isBlank()) {
                continue;
            }
            String[] p = line.split("\\|");
            out.add(new Picture(p[0], Files.readAllBytes(dir.resolve(p[3] + ".jpg")),
                    new RgbPicture(Integer.parseInt(p[1]), Integer.parseInt(p[2]), Files.readAllBytes(dir.resolve(p[3] + ".rgb")))));
        }
        return out;
    }

    /** The AWT half (loaded only where the pictures are built). */
    public static final class Built {
        private Built() {}

        public static java.awt.image.BufferedImage photo() throws IOException {
            return javax.imageio.ImageIO.read(EncoderModels.require(EncoderModels.ASTRONAUT).toFile());
        }

        static List<Picture> pictures() throws IOException {
            java.awt.image.BufferedImage photo = photo();
            List<Picture> out = new ArrayList<>();
            out.add(of("photo 512x512", photo));
            out.add(of("photo scaled 320x320", scaled(photo, 320, 320)));
            out.add(of("photo crop 300x400", copy(photo.getSubimage(70, 0, 300, 400))));
            out.add(of("vga", CameraFrames.scene(photo, 640, 480, 150, 70, 380, false, 11)));
            out.add(of("portrait 360x480", CameraFrames.scene(photo, 360, 480, 20, 100, 320, true, 12)));
            out.add(of("odd 333x251", CameraFrames.scene(photo, 333, 251, 60, 3, 245, false, 13)));
            out.add(of("small 161x121", CameraFrames.scene(photo, 161, 121, 25, 1, 118, false, 14)));
            out.add(of("no face 320x240", CameraFrames.scene(photo, 320, 240, 0, 0, 0, false, 15)));
            return out;
        }

        static List<Picture> otherKinds() throws IOException {
            java.awt.image.BufferedImage photo = photo();
            java.awt.image.BufferedImage scene = CameraFrames.scene(photo, 320, 240, 60, 20, 200, false, 21);
            java.awt.image.BufferedImage grey = new java.awt.image.BufferedImage(320, 320, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
            java.awt.Graphics2D g = grey.createGraphics();
            g.drawImage(scaled(photo, 320, 320), 0, 0, null);
            g.dispose();
            List<Picture> out = new ArrayList<>();
            out.add(of("320x240 baseline", scene));
            out.add(decoded("320x240 progressive", jpeg(scene, 0.9f, true)));
            out.add(decoded("photo greyscale 320x320", jpeg(grey, 0.9f, false)));
            return out;
        }

        static List<byte[]> benchJpegs() throws IOException {
            java.awt.image.BufferedImage photo = photo();
            List<byte[]> out = new ArrayList<>();
            for (int i = 0; i < BENCH_PICTURES; i++) {
                int size = i % 4 == 3 ? 0 : 240 + 40 * (i % 5);
                out.add(jpeg(CameraFrames.scene(photo, 640, 480, 20 + 23 * i, 10 + 7 * (i % 6), size, i % 2 == 1, 100 + i), 0.85f));
            }
            return out;
        }

        public static Picture of(String name, java.awt.image.BufferedImage img) throws IOException {
            return decoded(name, jpeg(img, 0.9f));
        }

        static Picture decoded(String name, byte[] jpeg) throws IOException {
            return new Picture(name, jpeg, io.omnistream.gpu.image.JdkJpegDecoder.toRgb(
                    javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(jpeg))));
        }

        public static java.awt.image.BufferedImage scaled(java.awt.image.BufferedImage img, int w, int h) {
            java.awt.image.BufferedImage out = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_INT_RGB);
            java.awt.Graphics2D g = out.createGraphics();
            g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(img, 0, 0, w, h, null);
            g.dispose();
            return out;
        }

        public static java.awt.image.BufferedImage copy(java.awt.image.BufferedImage img) {
            return scaled(img, img.getWidth(), img.getHeight());
        }

        /** The JDK's JPEG writer at {@code quality} (baseline, 4:2:0 for colour pictures). */
        public static byte[] jpeg(java.awt.image.BufferedImage img, float quality) throws IOException {
            return jpeg(img, quality, false);
        }

        /** The JDK's JPEG writer at {@code quality}, progressive or baseline. */
        public static byte[] jpeg(java.awt.image.BufferedImage img, float quality, boolean progressive) throws IOException {
            javax.imageio.ImageWriter w = javax.imageio.ImageIO.getImageWritersByFormatName("jpeg").next();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (javax.imageio.stream.ImageOutputStream out = javax.imageio.ImageIO.createImageOutputStream(bytes)) {
                w.setOutput(out);
                javax.imageio.ImageWriteParam p = w.getDefaultWriteParam();
                p.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
                p.setCompressionQuality(quality);
                if (progressive) {
                    p.setProgressiveMode(javax.imageio.ImageWriteParam.MODE_DEFAULT);
                }
                w.write(null, new javax.imageio.IIOImage(img, null, null), p);
            } finally {
                w.dispose();
            }
            return bytes.toByteArray();
        }
    }
}

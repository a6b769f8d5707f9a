package io.omnistream.operators.understand.testutils;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Screenshots of the HTML error dialogs in {@code src/test/resources/ocr/dialogs}, rendered by the
 * real headless Chromium of the machine into target/, with the identifiers each page declares in its
 * {@code expected-identifiers} meta tag.
 */
public final class ChromiumScreenshots {
    public static final String CHROMIUM = "/usr/bin/chromium";
    private static final Pattern META = Pattern.compile("<meta name=\"expected-identifiers\" content=\"([^\"]*)\">");

    private ChromiumScreenshots() {}

    /** A rendered dialog. */
    public static final class Shot {
        public final String name;
        public final int height;
        public final Path png;
        /** "TYPE:value" strings. */
        public final List<String> expected;

        Shot(String name, int height, Path png, List<String> expected) {
            this.name = name;
            this.height = height;
            this.png = png;
            this.expected = expected;
        }

        public byte[] jpeg() throws IOException {
            return toJpeg(ImageIO.read(png.toFile()), 0.9f);
        }

        @Override
        public String toString() {
            return name + "@" + height + "p";
        }
    }

    /** The dialog pages; copied out to a temporary folder when they sit in a jar (benchmarks use the test-jar). */
    public static List<Path> dialogs() throws IOException, URISyntaxException {
        URL dir = ChromiumScreenshots.class.getClassLoader().getResource("ocr/dialogs");
        java.net.URI uri = dir.toURI();
        Path folder;
        if ("jar".equals(uri.getScheme())) {
            folder = Files.createTempDirectory("omni-dialogs-");
            try (java.nio.file.FileSystem fs = java.nio.file.FileSystems.newFileSystem(uri, java.util.Map.of());
                    var s = Files.list(fs.getPath("/ocr/dialogs"))) {
                for (Path p : s.toList()) {
                    Files.copy(p, folder.resolve(p.getFileName().toString()));
                }
            }
        } else {
            folder = Path.of(uri);
        }
        try (var s = Files.list(folder)) {
            return s.filter(p -> p.toString().endsWith(".html")).sorted().toList();
        }
    }

    /** Renders every dialog at 1280x720 and 1920x1080. */
    public static List<Shot> renderAll(Path outDir) throws Exception {
        List<Shot> out = new ArrayList<>();
        for (Path html : dialogs()) {
            out.add(render(html, 1280, 720, outDir));
            out.add(render(html, 1920, 1080, outDir));
        }
        return out;
    }

    public static Shot render(Path html, int width, int height, Path outDir) throws Exception {
        Files.createDirectories(outDir);
        String name = html.getFileName().toString().replace(".html", "");
        Path png = outDir.resolve(name + "-" + height + ".png");
        Path profile = Files.createTempDirectory(outDir, "chromium-profile-");
        List<String> cmd = List.of(CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                "--user-data-dir=" + profile, "--window-size=" + width + "," + height, "--screenshot=" + png,
                html.toUri().toString());
        Files.deleteIfExists(png);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || !Files.isRegularFile(png)) {
            p.destroyForcibly();
            throw new IOException("chromium did not write " + png + ": " + log);
        }
        Matcher m = META.matcher(Files.readString(html));
        List<String> expected = m.find() ? List.of(m.group(1).split("\\|")) : List.of();
        return new Shot(name, height, png, expected);
    }

    public static byte[] toJpeg(BufferedImage img, float quality) throws IOException {
        BufferedImage rgb = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
        rgb.getGraphics().drawImage(img, 0, 0, null);
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = w.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(quality);
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bo)) {
            w.setOutput(out);
            w.write(null, new IIOImage(rgb, null, null), param);
        } finally {
            w.dispose();
        }
        return bo.toByteArray();
    }
}

package io.omnistream.operators.ocr;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.operators.understand.testutils.ChromiumScreenshots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Tesseract on error dialogs rendered by the real headless Chromium at 720p and 1080p. */
class ScreenOcrITCase {

    @Test
    void readsTheIdentifiersOfErrorDialogsRenderedByChromium() throws Exception {
        List<ChromiumScreenshots.Shot> shots = ChromiumScreenshots.renderAll(Path.of("target/ocr-screens"));
        assertThat(shots).hasSizeGreaterThanOrEqualTo(12);
        int expected = 0;
        int found = 0;
        StringBuilder report = new StringBuilder();
        try (ScreenReader reader = new ScreenReader(new UnderstandingConfig())) {
            for (ChromiumScreenshots.Shot shot : shots) {
                ScreenReader.Result r = reader.read(shot.jpeg());
                List<String> got = IdentifierExtractor.extract(r.text()).stream()
                        .map(i -> i.getType() + ":" + i.getValue()).collect(Collectors.toList());
                int hit = (int) shot.expected.stream().filter(got::contains).count();
                expected += shot.expected.size();
                found += hit;
                report.append(shot).append('\t').append(hit).append('/').append(shot.expected.size())
                        .append("\tgot ").append(got).append('\n');
            }
        }
        double accuracy = (double) found / expected;
        report.append(String.format("identifier accuracy %.3f (%d/%d)%n", accuracy, found, expected));
        Files.writeString(Path.of("target/ocr-identifier-accuracy.txt"), report);
        assertThat(accuracy).as(report.toString()).isGreaterThanOrEqualTo(0.9);
    }

    /**
     * The modality router's changed-region reads on real Chromium dialogs (the realistic mix of the route tuner):
     * a clock ticking in the corner is read alone, and the text equals a whole read of the new picture.
     */
    @Test
    void aClockTickingOnAChromiumDialogIsReadAloneWithTheTextOfAWholeRead() throws Exception {
        List<ChromiumScreenshots.Shot> shots = ChromiumScreenshots.renderAll(Path.of("target/ocr-screens")).stream()
                .filter(s -> s.height == 720).limit(4).toList();
        assertThat(shots).isNotEmpty();
        try (ScreenReader reader = new ScreenReader(new UnderstandingConfig())) {
            for (ChromiumScreenshots.Shot shot : shots) {
                ChangedRegionReader regions = new ChangedRegionReader(reader, 4, 0.5);
                java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(shot.png.toFile());
                regions.read("s", clocked(img, "10:41"), true);
                byte[] next = clocked(img, "10:42");
                ChangedRegionReader.Read read = regions.read("s", next, true);
                ScreenReader.Result whole = reader.read(next);
                assertThat(read.wholePage()).as("%s", shot).isFalse();
                assertThat(read.result().pixelsRead).as("%s", shot).isLessThan(1280L * 720 / 20);
                assertThat(read.result().lines).as("%s", shot).isEqualTo(whole.lines);
            }
        }
    }

    private static byte[] clocked(java.awt.image.BufferedImage img, String clock) throws Exception {
        java.awt.image.BufferedImage c = new java.awt.image.BufferedImage(img.getWidth(), img.getHeight(),
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = c.createGraphics();
        g.drawImage(img, 0, 0, null);
        g.setColor(new java.awt.Color(235, 235, 235));
        g.fillRect(img.getWidth() - 100, img.getHeight() - 28, 100, 28);
        g.setColor(java.awt.Color.DARK_GRAY);
        g.setFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 14));
        g.drawString(clock, img.getWidth() - 60, img.getHeight() - 9);
        g.dispose();
        return ChromiumScreenshots.toJpeg(c, 0.9f);
    }
}

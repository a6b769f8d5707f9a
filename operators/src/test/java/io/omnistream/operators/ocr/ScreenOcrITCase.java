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
}

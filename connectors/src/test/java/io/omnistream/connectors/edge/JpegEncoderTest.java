package io.omnistream.connectors.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class JpegEncoderTest {

    @Test
    void encodesI420PlanesWithStridesAsAJpegOfTheRightColour() throws Exception {
        int w = 320, h = 240, sy = 336, sc = 176; // padded strides as decoders hand them out
        byte[] y = new byte[sy * h], u = new byte[sc * h / 2], v = new byte[sc * h / 2];
        Arrays.fill(y, (byte) 81);   // BT.601 red: Y=81 U=90 V=240
        Arrays.fill(u, (byte) 90);
        Arrays.fill(v, (byte) 240);
        byte[] jpg = new JpegEncoder(0.8f).encodeI420(new JpegEncoder.I420(w, h, y, sy, u, sc, v, sc));
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(jpg));
        assertThat(img.getWidth()).isEqualTo(w);
        assertThat(img.getHeight()).isEqualTo(h);
        int rgb = img.getRGB(160, 120);
        assertThat((rgb >> 16) & 0xff).isGreaterThan(220);
        assertThat((rgb >> 8) & 0xff).isLessThan(40);
        assertThat(rgb & 0xff).isLessThan(40);
        assertThat(jpg.length).isLessThan(20_000);
    }

    @Test
    void thumbnailFingerprintSeesALocalChange() {
        int w = 1280, h = 720;
        byte[] y = new byte[w * h];
        JpegEncoder.I420 a = new JpegEncoder.I420(w, h, y, w, new byte[w * h / 4], w / 2, new byte[w * h / 4], w / 2);
        float[] before = a.thumbnail(64, 36);
        for (int r = 100; r < 130; r++) {
            for (int c = 200; c < 220; c++) {
                y[r * w + c] = (byte) 200;
            }
        }
        float[] after = a.thumbnail(64, 36);
        assertThat(VideoGate.maxAbsDiff(before, after)).isGreaterThan(50);
    }
}

package io.omnistream.loadtests.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.perception.ModelFiles;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The capture file the page calibrates on: the only samples loud enough for the page's beep detector
 * (client.js BEEP_SAMPLE, 0.7) are the beeps, each where the truth says it is — a loud syllable taken for the
 * beep once shifted a whole CI run's timeline by seconds.
 */
class LoopMediaTest {

    @Test
    void onlyTheBeepsReachTheBeepDetectorsThreshold(@TempDir Path dir) throws Exception {
        // recordings 3 and 4 peak at full scale, 5 was the one misread in CI
        LoopMedia media = LoopMedia.write(dir, ModelFiles.modelsDir(), 4, 2.0, 0, 0, 3);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(media.wav)).order(ByteOrder.LITTLE_ENDIAN);
        b.position(44);
        List<Double> loudRuns = new ArrayList<>(); // start of each run of samples above 0.7, 300 ms apart
        double lastLoud = -1;
        for (int i = 0; b.remaining() >= 2; i++) {
            double v = Math.abs(b.getShort() / 32768.0);
            if (v > 0.7) {
                double t = i / (double) LoopMedia.RATE;
                if (t - lastLoud > 0.3) {
                    loudRuns.add(t);
                }
                lastLoud = t;
            }
        }
        assertThat(loudRuns).hasSize(media.utterances.size());
        for (int k = 0; k < loudRuns.size(); k++) {
            LoopMedia.Utterance u = media.utterances.get(k);
            assertThat(loudRuns.get(k)).as("beep %d", k).isCloseTo(u.beepSec(), org.assertj.core.data.Offset.offset(0.002));
            assertThat(u.startSec() - u.beepSec()).as("beep %d lead", k).isGreaterThan(LoopMedia.BEEP_LEAD_SEC);
        }
    }
}

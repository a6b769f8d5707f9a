package io.omnistream.operators.tts;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.understand.UnderstandingConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** espeak-ng (libespeak-ng1) through JNA on its dedicated thread. */
class EspeakEngineTest {
    private static final String TEXT = "I'm sorry you can't sign in. I can see error 0x80070005 on your screen.";
    private final UnderstandingConfig config = new UnderstandingConfig();
    private final EspeakEngine engine = EspeakEngine.shared(config.espeakLibrary, null);

    private static List<short[]> all(SynthesisJob job) throws InterruptedException {
        List<short[]> out = new ArrayList<>();
        short[] c;
        while ((c = job.poll(5, TimeUnit.SECONDS)) != null) {
            out.add(c);
        }
        return out;
    }

    @Test
    void streamsTwentyMillisecondChunksAtTheRequestedRate() throws Exception {
        assertThat(engine.nativeSampleRate()).isEqualTo(22050);
        for (int rate : new int[] {16000, 48000}) {
            SynthesisJob job = engine.submit(TEXT, "en-us", 175, rate, 20);
            List<short[]> chunks = all(job);
            assertThat(job.isDone()).isTrue();
            assertThat(job.error()).isNull();
            assertThat(chunks).allSatisfy(c -> assertThat(c).hasSize(rate / 50));
            double seconds = chunks.size() * 0.02;
            assertThat(seconds).as("spoken duration").isBetween(2.5, 12.0);
            long energy = 0;
            for (short[] c : chunks) {
                for (short s : c) {
                    energy += Math.abs(s);
                }
            }
            assertThat(energy / (chunks.size() * (rate / 50))).as("mean amplitude").isGreaterThan(300);
        }
    }

    @Test
    void cancellingStopsTheSynthesisEarly() throws Exception {
        int full = all(engine.submit(TEXT + " " + TEXT + " " + TEXT, "en-us", 175, 16000, 20)).size();
        SynthesisJob job = engine.submit(TEXT + " " + TEXT + " " + TEXT, "en-us", 175, 16000, 20);
        assertThat(job.poll(5, TimeUnit.SECONDS)).isNotNull();
        job.cancel();
        List<short[]> rest = all(job);
        assertThat(rest.size()).isLessThan(full - 1);
        // the engine goes on serving the next request
        assertThat(all(engine.submit("Hello.", "en-us", 175, 16000, 20))).isNotEmpty();
    }

    @Test
    void rejectsAnUnknownVoiceWithoutStoppingTheEngine() throws Exception {
        SynthesisJob bad = engine.submit("Hello.", "no-such-voice-xx", 175, 16000, 20);
        assertThat(all(bad)).isEmpty();
        assertThat(bad.error()).hasMessageContaining("no-such-voice-xx");
        assertThat(all(engine.submit("Hello.", "en-us", 175, 16000, 20))).isNotEmpty();
    }
}

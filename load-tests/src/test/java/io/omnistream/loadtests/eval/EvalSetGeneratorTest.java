package io.omnistream.loadtests.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.loadtests.eval.EvalSession.Utterance;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EvalSetGeneratorTest {
    private static EvalSetGenerator generator;
    private static List<short[]> recordings;

    @BeforeAll
    static void load() throws Exception {
        recordings = Recordings.loadAll();
        generator = new EvalSetGenerator(recordings);
    }

    @Test
    void boundariesOfEveryRecordingLieInsideItAndAroundItsLoudestPart() {
        for (int i = 0; i < recordings.size(); i++) {
            SpeechBoundaries b = generator.boundaries(i);
            short[] r = recordings.get(i);
            assertThat(b.start).isGreaterThanOrEqualTo(0).isLessThan(b.split);
            assertThat(b.end).isGreaterThan(b.split).isLessThanOrEqualTo(r.length);
            int loudest = 0;
            for (int k = 1; k < r.length; k++) {
                if (Math.abs(r[k]) > Math.abs(r[loudest])) {
                    loudest = k;
                }
            }
            assertThat(loudest).isBetween(b.start, b.end);
            assertThat(b.end - b.start).as("speech of recording %d", i).isGreaterThan(8000);
        }
    }

    @Test
    void generationIsDeterministic() {
        EvalSession a = generator.session("noise-5dB", 3);
        EvalSession b = new EvalSetGenerator(recordings).session("noise-5dB", 3);
        assertThat(a.audio).isEqualTo(b.audio);
        assertThat(a.opening).isEqualTo(b.opening);
    }

    @Test
    void pausesLastTwoToSixHundredMillisecondsAndLieInsideTheUtterance() {
        for (int i = 0; i < recordings.size(); i++) {
            for (Utterance u : generator.session("clean", i).utterances) {
                assertThat(u.pauseEndMicros - u.pauseStartMicros).isBetween(200_000L, 610_000L);
                assertThat(u.pauseStartMicros).isGreaterThan(u.startMicros);
                assertThat(u.pauseEndMicros).isLessThan(u.endMicros);
            }
        }
    }

    @Test
    void noiseIsMixedAtTheRequestedSignalToNoiseRatio() {
        EvalSession clean = generator.session("clean", 2);
        for (int snr : new int[] {0, 5, 10}) {
            EvalSession noisy = generator.session("noise-" + snr + "dB", 2);
            double s = 0;
            long speech = 0;
            double n = 0;
            for (int k = 0; k < clean.audio.length; k++) {
                double c = clean.audio[k];
                double d = noisy.audio[k] - c;
                long t = k * 1_000_000L / 16_000;
                if (clean.utterances.stream().anyMatch(u -> t >= u.startMicros && t < u.endMicros)) {
                    s += c * c;
                    speech++;
                }
                n += d * d;
            }
            double measured = 10 * Math.log10((s / speech) / (n / clean.audio.length));
            assertThat(measured).as("SNR of noise-%ddB", snr).isBetween(snr - 1.5, snr + 1.5);
        }
    }

    @Test
    void theCameraIsOffTurnedAwayOrShowsTheMouthAsTheScenarioSays() {
        assertThat(generator.session("no-face", 0).pictureMode).containsOnly((byte) 0);
        EvalSession turned = generator.session("turned-away", 0);
        assertThat(turned.pictureMode).contains((byte) TalkingFace.TURNED_AWAY, (byte) TalkingFace.FRONT);
        EvalSession silent = generator.session("bg-silent-face", 0);
        assertThat(silent.agentSpeaking).isTrue();
        assertThat(silent.utterances).isEmpty();
        for (float o : silent.opening) {
            assertThat(o).isZero();
        }
        float max = 0;
        for (float o : generator.session("clean", 0).opening) {
            max = Math.max(max, o);
        }
        assertThat(max).isGreaterThan(0.5f);
    }
}

package io.omnistream.loadtests.eval;

import io.omnistream.loadtests.eval.EvalSession.Utterance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Builds the perception / turn-taking evaluation set from the real recordings, deterministically
 * (fixed seed): for every customer recording i (and its successor) one session per scenario.
 *
 * <ul>
 *   <li>{@code clean}: 1 s silence, utterance A, 2 s silence, utterance B, 2 s silence; each
 *       utterance gets a pause of 200–600 ms in total (the natural gap at its
 *       {@link SpeechBoundaries#split} lengthened by inserted silence); in one
 *       of the two the lips stay half open during the pause (a hesitation), in the other they
 *       close (reported separately: lips alone cannot tell that pause from an end of turn).</li>
 *   <li>{@code noise-{0,5,10}dB}: clean + white noise at that SNR (speech-active RMS).</li>
 *   <li>{@code babble-{0,5,10}dB}: clean + continuous speech of other recordings at that SNR.</li>
 *   <li>{@code no-face}: clean with the camera off.</li>
 *   <li>{@code turned-away}: the customer turns away in the middle of utterance A until 1 s after it.</li>
 *   <li>{@code barge-in}: clean while the agent is speaking (every utterance should be a BARGE_IN).</li>
 *   <li>{@code bg-silent-face}: the agent speaks, the customer's face is visible and silent, other
 *       recordings play in the background (TV/colleague): any SPEECH_START/BARGE_IN is false.</li>
 *   <li>{@code bg-no-face}: the same with the camera off.</li>
 *   <li>{@code av-offset}: clean with the video 120 ms late, to check the offset estimate.</li>
 * </ul>
 * The mouth is opened by the clean customer speech's 10 ms level (fast attack, 30 ms release),
 * see {@link LipModel}.
 */
public final class EvalSetGenerator {
    public static final long SEED = 20261129L;
    public static final List<String> SCENARIOS = List.of("clean", "noise-0dB", "noise-5dB", "noise-10dB", "babble-0dB", "babble-5dB",
            "babble-10dB", "no-face", "turned-away", "barge-in", "bg-silent-face", "bg-no-face", "av-offset");
    public static final long AV_OFFSET_MICROS = 120_000;
    private static final int MARGIN = 1600; // 100 ms kept around the speech of a recording

    /**
     * How the drawn mouth follows the customer's speech. {@code ENVELOPE}: opened by the 10 ms level
     * alone, so it closes in every gap of the sound (pessimistic for the lip cue: lips close in
     * word gaps exactly as at the end of a turn). {@code PARTED}: the same, but within an utterance
     * the lips stay slightly parted (opening ≥ 0.35) between words and only return to rest at its
     * end (and in the "lips closed" pauses) — the articulatory behaviour the fast path relies on.
     */
    public enum LipModel { ENVELOPE, PARTED }

    private final List<short[]> recordings;
    private LipModel lipModel = LipModel.PARTED;
    private final SpeechBoundaries[] bounds;

    public EvalSetGenerator(List<short[]> recordings) {
        this.recordings = recordings;
        this.bounds = new SpeechBoundaries[recordings.size()];
        for (int i = 0; i < bounds.length; i++) {
            bounds[i] = SpeechBoundaries.of(recordings.get(i));
        }
    }

    public static EvalSetGenerator fromDebianRecordings() throws IOException {
        return new EvalSetGenerator(Recordings.loadAll());
    }

    public EvalSetGenerator withLipModel(LipModel model) {
        this.lipModel = model;
        return this;
    }

    public SpeechBoundaries boundaries(int recording) {
        return bounds[recording];
    }

    /** All sessions of the given scenarios for customers {@code 0..customers-1}. */
    public List<EvalSession> generate(List<String> scenarios, int customers) {
        List<EvalSession> out = new ArrayList<>();
        for (int i = 0; i < Math.min(customers, recordings.size()); i++) {
            for (String sc : scenarios) {
                out.add(session(sc, i));
            }
        }
        return out;
    }

    /** An utterance with an inserted pause, and its mouth opening per 10 ms frame. */
    private static final class Piece {
        short[] samples;
        float[] mouth;
        int start;
        int end;
        int pauseStart = -1;
        int pauseEnd = -1;
        boolean lipsOpen;
    }

    private Piece utterance(int rec, int pauseMs, boolean lipsOpenInPause) {
        short[] r = recordings.get(rec);
        SpeechBoundaries b = bounds[rec];
        int from = Math.max(0, b.start - MARGIN);
        int to = Math.min(r.length, b.end + MARGIN);
        int gap = b.splitGapEnd - b.splitGapStart; // natural silence already there, counted in the pause
        int pause = Math.max(0, pauseMs * 16 - gap);
        int split = b.split - from;
        Piece p = new Piece();
        p.samples = new short[to - from + pause];
        System.arraycopy(r, from, p.samples, 0, split);
        System.arraycopy(r, from + split, p.samples, split + pause, to - from - split);
        p.start = b.start - from;
        p.end = b.end - from + pause;
        p.pauseStart = b.splitGapStart - from;
        p.pauseEnd = b.splitGapEnd - from + pause;
        p.lipsOpen = lipsOpenInPause;
        double[] db = SpeechBoundaries.levels(p.samples);
        p.mouth = new float[db.length];
        float m = 0;
        for (int f = 0; f < db.length; f++) {
            int sample = f * SpeechBoundaries.FRAME;
            double target = Math.pow(Math.max(0, Math.min(1, (db[f] - (b.thresholdDb - 6)) / 30.0)), 0.7);
            if (sample < p.start || sample >= p.end) {
                target = 0;
            } else if (lipModel == LipModel.PARTED) {
                target = Math.max(target, 0.35);
            }
            if (sample >= p.pauseStart && sample < p.pauseEnd) {
                target = lipsOpenInPause ? 0.5 : 0;
            }
            m = target > m ? (float) target : (float) (m + (target - m) * 0.33); // fast attack, ~30 ms release
            p.mouth[f] = m;
        }
        return p;
    }

    public EvalSession session(String scenario, int i) {
        Random rng = new Random(SEED * 31 + i * 131 + scenario.hashCode());
        int n = recordings.size();
        int recA = i % n;
        int recB = (i + 1) % n;
        boolean customerSpeaks = !scenario.startsWith("bg-");
        boolean agent = scenario.equals("barge-in") || scenario.startsWith("bg-");
        List<Piece> pieces = new ArrayList<>();
        int[] gapsBefore;
        if (customerSpeaks) {
            Random pauses = new Random(SEED * 31 + i * 131); // the same utterances and pauses in every scenario of customer i
            pieces.add(utterance(recA, 200 + pauses.nextInt(401), i % 2 == 0));
            pieces.add(utterance(recB, 200 + pauses.nextInt(401), i % 2 != 0));
            gapsBefore = new int[] {16_000, 32_000};
        } else {
            gapsBefore = new int[0];
        }
        int total = 16_000;
        for (int k = 0; k < pieces.size(); k++) {
            total += (k == 0 ? 0 : gapsBefore[k]) + pieces.get(k).samples.length;
        }
        total += 32_000;
        if (!customerSpeaks) {
            total = 12 * 16_000;
        }
        total = (total + 639) / 640 * 640;
        short[] customer = new short[total];
        float[] mouth = new float[total / SpeechBoundaries.FRAME + 1];
        List<Utterance> truth = new ArrayList<>();
        int pos = 16_000;
        for (int k = 0; k < pieces.size(); k++) {
            Piece p = pieces.get(k);
            if (k > 0) {
                pos += gapsBefore[k];
            }
            System.arraycopy(p.samples, 0, customer, pos, p.samples.length);
            System.arraycopy(p.mouth, 0, mouth, pos / SpeechBoundaries.FRAME, Math.min(p.mouth.length, mouth.length - pos / SpeechBoundaries.FRAME));
            truth.add(new Utterance(micros(pos + p.start), micros(pos + p.end), p.pauseStart < 0 ? -1 : micros(pos + p.pauseStart),
                    p.pauseEnd < 0 ? -1 : micros(pos + p.pauseEnd), p.lipsOpen));
            pos += p.samples.length;
        }

        short[] mic = customer.clone();
        long background = 0;
        if (scenario.startsWith("noise-")) {
            double snr = Double.parseDouble(scenario.substring(6, scenario.length() - 2));
            double noiseRms = activeRms(customer, truth) / Math.pow(10, snr / 20);
            float[] noise = new float[total];
            for (int k = 0; k < total; k++) {
                noise[k] = (float) (rng.nextGaussian() * noiseRms);
            }
            mix(mic, noise);
        } else if (scenario.startsWith("babble-") || scenario.startsWith("bg-")) {
            short[] other = backgroundTrack(i, total, rng);
            double otherRms = rms(other);
            double gain;
            if (scenario.startsWith("babble-")) {
                double snr = Double.parseDouble(scenario.substring(7, scenario.length() - 2));
                gain = activeRms(customer, truth) / Math.pow(10, snr / 20) / otherRms;
            } else {
                gain = Math.pow(10, -26 / 20.0) / otherRms; // TV/colleague at -26 dBFS RMS
            }
            float[] f = new float[total];
            for (int k = 0; k < total; k++) {
                f[k] = (float) (other[k] / 32768.0 * gain);
            }
            mix(mic, f);
            background = speechMicros(other);
        }

        int pictures = EvalSession.pictureAt(micros(total)) + 1;
        byte[] mode = new byte[pictures];
        float[] opening = new float[pictures];
        boolean cameraOff = scenario.equals("no-face") || scenario.equals("bg-no-face");
        long delay = scenario.equals("av-offset") ? AV_OFFSET_MICROS : 0;
        for (int k = 0; k < pictures; k++) {
            long t = EvalSession.pictureTimeMicros(k) - delay;
            int f = (int) Math.max(0, Math.min(mouth.length - 1, t * 16 / 1000 / SpeechBoundaries.FRAME));
            opening[k] = t < 0 ? 0 : mouth[f];
            mode[k] = cameraOff ? 0 : (byte) TalkingFace.FRONT;
        }
        if (scenario.equals("turned-away")) {
            Utterance a = truth.get(0);
            long from = (a.startMicros + a.endMicros) / 2;
            long to = a.endMicros + 1_000_000;
            for (int k = 0; k < pictures; k++) {
                long t = EvalSession.pictureTimeMicros(k);
                if (t >= from && t < to) {
                    mode[k] = TalkingFace.TURNED_AWAY;
                }
            }
        }
        EvalSession s = new EvalSession("eval-" + scenario + "-" + i, scenario, mic, mode, opening, agent);
        s.utterances.addAll(truth);
        s.backgroundSpeechMicros = background;
        s.videoDelayMicros = delay;
        return s;
    }

    /** Other recordings (not the customer's two), looped with 300–900 ms gaps, over the whole session. */
    private short[] backgroundTrack(int i, int total, Random rng) {
        int n = recordings.size();
        int[] order = {(i + 3) % n, (i + 6) % n, (i + 8) % n};
        short[] out = new short[total];
        int pos = 8_000 + rng.nextInt(8_000);
        int k = 0;
        while (pos < total) {
            int rec = order[k++ % order.length];
            SpeechBoundaries b = bounds[rec];
            short[] r = recordings.get(rec);
            int len = Math.min(b.end - b.start, total - pos);
            System.arraycopy(r, b.start, out, pos, len);
            pos += len + 4_800 + rng.nextInt(9_600);
        }
        return out;
    }

    private static long speechMicros(short[] track) {
        double[] db = SpeechBoundaries.levels(track);
        long frames = Arrays.stream(db).filter(d -> d > -50).count();
        return frames * 10_000;
    }

    private static double activeRms(short[] s, List<Utterance> truth) {
        double sum = 0;
        long n = 0;
        for (Utterance u : truth) {
            for (int k = (int) (u.startMicros * 16 / 1000); k < (int) (u.endMicros * 16 / 1000) && k < s.length; k++) {
                double v = s[k] / 32768.0;
                sum += v * v;
                n++;
            }
        }
        return n == 0 ? 0 : Math.sqrt(sum / n);
    }

    private static double rms(short[] s) {
        double sum = 0;
        long n = 0;
        for (short v : s) {
            if (v != 0) {
                sum += (v / 32768.0) * (v / 32768.0);
                n++;
            }
        }
        return n == 0 ? 1e-9 : Math.sqrt(sum / n);
    }

    private static void mix(short[] target, float[] add) {
        for (int k = 0; k < target.length; k++) {
            double v = target[k] + add[k] * 32768.0;
            target[k] = (short) Math.max(-32768, Math.min(32767, Math.round(v)));
        }
    }

    private static long micros(int samples) {
        return samples * 1_000_000L / EvalSession.SAMPLE_RATE;
    }

    /** Writes the mixes as WAV and the truth as TSV under {@code dir} (for listening / inspection; never committed). */
    public static void write(List<EvalSession> sessions, Path dir) throws IOException {
        Files.createDirectories(dir);
        StringBuilder tsv = new StringBuilder("session\tscenario\tagentSpeaking\tutterance\tstartMicros\tendMicros\tpauseStartMicros\tpauseEndMicros\tlipsOpenInPause\n");
        for (EvalSession s : sessions) {
            Recordings.writeWav(dir.resolve(s.id + ".wav"), s.audio);
            for (int u = 0; u < s.utterances.size(); u++) {
                Utterance t = s.utterances.get(u);
                tsv.append(s.id).append('\t').append(s.scenario).append('\t').append(s.agentSpeaking).append('\t').append(u).append('\t')
                        .append(t.startMicros).append('\t').append(t.endMicros).append('\t').append(t.pauseStartMicros).append('\t')
                        .append(t.pauseEndMicros).append('\t').append(t.lipsOpenInPause).append('\n');
            }
        }
        Files.writeString(dir.resolve("truth.tsv"), tsv);
    }
}

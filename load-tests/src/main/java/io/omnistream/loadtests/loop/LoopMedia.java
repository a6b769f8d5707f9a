package io.omnistream.loadtests.loop;

import io.omnistream.connectors.edge.PcmResampler;
import io.omnistream.loadtests.eval.Recordings;
import io.omnistream.loadtests.eval.SpeechBoundaries;
import io.omnistream.loadtests.eval.TalkingFace;
import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * The customer side of a whole-loop run as files Chromium's fake devices play: a 48 kHz WAV of real speech
 * (Debian pocketsphinx recordings, one after another) whose true utterance boundaries are known from
 * {@link SpeechBoundaries}, preceded by a short calibration beep at a known offset so the page can map file
 * time to its own clock; and a talking-face Y4M ({@link TalkingFace}) whose mouth follows the speech level, so
 * lip evidence agrees with the audio. Some gaps are short on purpose: the next utterance then starts while the
 * agent is still answering, which is a barge-in.
 */
public final class LoopMedia {
    public static final int RATE = 48_000;
    /** A beep this long before each utterance's cut (in silence) anchors that utterance on the page clock. */
    public static final double BEEP_LEAD_SEC = 1.0;
    static final double BEEP_LENGTH_SEC = 0.06;
    static final double BEEP_PEAK = 0.95;
    static final double SPEECH_PEAK = 0.5;
    static final double FIRST_SPEECH_SEC = 5.0; // the page's audio graph may need seconds to start under load
    static final int FPS = 15;

    /** One customer utterance in the capture file (seconds from the file start). */
    public record Utterance(int recording, double beepSec, double startSec, double endSec, boolean bargesIn) {}

    public final Path wav;
    public final Path y4m;
    public final List<Utterance> utterances;
    public final double durationSec;

    private LoopMedia(Path wav, Path y4m, List<Utterance> utterances, double durationSec) {
        this.wav = wav;
        this.y4m = y4m;
        this.utterances = utterances;
        this.durationSec = durationSec;
    }

    /**
     * Writes the files under {@code dir}.
     *
     * @param turns        utterances to play (the ten recordings, repeated as needed)
     * @param answerGapSec silence after an utterance that the agent answers in full
     * @param bargeGapSec  silence after an utterance whose answer the next utterance interrupts
     * @param bargeEvery   every n-th utterance is followed by the short gap (0 = never)
     */
    public static LoopMedia write(Path dir, Path modelsDir, int turns, double answerGapSec, double bargeGapSec,
            int bargeEvery) throws Exception {
        return write(dir, modelsDir, turns, answerGapSec, bargeGapSec, bargeEvery, 0);
    }

    /** As {@link #write(Path, Path, int, double, double, int)}, starting with recording {@code firstRecording}. */
    public static LoopMedia write(Path dir, Path modelsDir, int turns, double answerGapSec, double bargeGapSec,
            int bargeEvery, int firstRecording) throws Exception {
        Files.createDirectories(dir);
        List<short[]> recs = Recordings.loadAll();
        List<short[]> parts = new ArrayList<>();
        List<Utterance> utts = new ArrayList<>();
        List<SpeechBoundaries> bounds = new ArrayList<>();
        for (short[] r : recs) {
            bounds.add(SpeechBoundaries.of(r));
        }
        // 16 kHz timeline: silence, then per utterance a beep BEEP_LEAD_SEC before its cut
        // [start - 0.2 s, end + 0.05 s], then the gap
        int pos = 0;
        short[] lead = new short[(int) (FIRST_SPEECH_SEC * 16000)];
        parts.add(lead);
        pos += lead.length;
        for (int t = 0; t < turns; t++) {
            int r = (firstRecording + t) % recs.size();
            short[] rec = recs.get(r);
            SpeechBoundaries b = bounds.get(r);
            int from = Math.max(0, b.start - 3200);
            int to = Math.min(rec.length, b.end + 800);
            short[] cut = quieterThanBeep(java.util.Arrays.copyOfRange(rec, from, to));
            short[] beep = beep();
            // the beep overwrites the silence of the previous gap (or of the lead)
            short[] prev = parts.get(parts.size() - 1);
            int beepAt = prev.length - (int) (BEEP_LEAD_SEC * 16000);
            if (beepAt < 0) {
                throw new IllegalArgumentException("gaps must be longer than " + BEEP_LEAD_SEC + " s");
            }
            System.arraycopy(beep, 0, prev, beepAt, beep.length);
            double beepSec = (pos - prev.length + beepAt) / 16000.0;
            double start = (pos + (b.start - from)) / 16000.0;
            double end = (pos + (b.end - from)) / 16000.0;
            boolean shortGap = bargeEvery > 0 && t % bargeEvery == bargeEvery - 1 && t < turns - 1;
            parts.add(cut);
            pos += cut.length;
            short[] gap = new short[(int) ((shortGap ? bargeGapSec : answerGapSec) * 16000)];
            parts.add(gap);
            pos += gap.length;
            // the utterance after a short gap is the one that barges in
            boolean barges = t > 0 && !utts.isEmpty() && utts.size() == t && isShortGapAfter(t - 1, turns, bargeEvery);
            utts.add(new Utterance(r, beepSec, start, end, barges));
        }
        short[] all16 = new short[pos];
        int p = 0;
        for (short[] s : parts) {
            System.arraycopy(s, 0, all16, p, s.length);
            p += s.length;
        }
        short[] all48 = new PcmResampler(16000, RATE).process(all16, 0, all16.length);
        Path wav = dir.resolve("loop-customer-48k.wav");
        writeWav48(wav, all48);
        Path y4m = dir.resolve("loop-face-" + TalkingFace.SIZE + ".y4m");
        writeY4m(y4m, new TalkingFace(modelsDir), all16);
        return new LoopMedia(wav, y4m, utts, all16.length / 16000.0);
    }

    private static short[] beep() {
        short[] b = new short[(int) (BEEP_LENGTH_SEC * 16000)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (short) (BEEP_PEAK * 32767 * Math.sin(2 * Math.PI * 1000 * i / 16000.0));
        }
        return b;
    }

    /**
     * The speech scaled down, where needed, to peak at {@link #SPEECH_PEAK}: the page finds a beep as a sample
     * above 0.7 (client.js BEEP_SAMPLE), so no speech sample may look like one (a loud syllable after a pause was
     * once taken for the beep and shifted the whole timeline by seconds).
     */
    static short[] quieterThanBeep(short[] speech) {
        int peak = 1;
        for (short v : speech) {
            peak = Math.max(peak, Math.abs(v));
        }
        double limit = SPEECH_PEAK * 32767;
        if (peak <= limit) {
            return speech;
        }
        double g = limit / peak;
        short[] out = new short[speech.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (short) Math.round(speech[i] * g);
        }
        return out;
    }

    private static boolean isShortGapAfter(int t, int turns, int bargeEvery) {
        return bargeEvery > 0 && t % bargeEvery == bargeEvery - 1 && t < turns - 1;
    }

    static void writeWav48(Path wav, short[] s) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(44 + 2 * s.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x46464952).putInt(36 + 2 * s.length).putInt(0x45564157);
        b.putInt(0x20746d66).putInt(16).putShort((short) 1).putShort((short) 1).putInt(RATE).putInt(RATE * 2)
                .putShort((short) 2).putShort((short) 16);
        b.putInt(0x61746164).putInt(2 * s.length);
        for (short v : s) {
            b.putShort(v);
        }
        Files.write(wav, b.array());
    }

    /** Mouth opening per picture from the 16 kHz speech level (0 in silence), one picture per 1/15 s. */
    static void writeY4m(Path out, TalkingFace face, short[] pcm16k) throws Exception {
        double[] db = SpeechBoundaries.levels(pcm16k); // 10 ms frames
        int frames = (int) Math.ceil(pcm16k.length / 16000.0 * FPS);
        int n = TalkingFace.SIZE;
        byte[][] cache = new byte[TalkingFace.LEVELS + 1][];
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(out), 1 << 20)) {
            o.write(("YUV4MPEG2 W" + n + " H" + n + " F" + FPS + ":1 Ip A1:1 C420jpeg\n").getBytes(StandardCharsets.US_ASCII));
            for (int f = 0; f < frames; f++) {
                int tenMs = (int) (f * 100.0 / FPS);
                double level = tenMs < db.length ? db[tenMs] : -120;
                double opening = Math.max(0, Math.min(1, (level + 45) / 30)); // -45 dBFS closed .. -15 dBFS open
                int q = (int) Math.round(opening * TalkingFace.LEVELS);
                if (cache[q] == null) {
                    cache[q] = i420(ImageIO.read(new ByteArrayInputStream(face.front(q / (double) TalkingFace.LEVELS))));
                }
                o.write("FRAME\n".getBytes(StandardCharsets.US_ASCII));
                o.write(cache[q]);
            }
        }
    }

    static byte[] i420(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        byte[] out = new byte[w * h * 3 / 2];
        int uo = w * h, vo = uo + w * h / 4;
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                int rgb = img.getRGB(c, r);
                int R = (rgb >> 16) & 0xff, G = (rgb >> 8) & 0xff, B = rgb & 0xff;
                out[r * w + c] = (byte) Math.round(0.299 * R + 0.587 * G + 0.114 * B);
                if ((r & 1) == 0 && (c & 1) == 0) {
                    int k = (r / 2) * (w / 2) + c / 2;
                    out[uo + k] = (byte) Math.max(0, Math.min(255, Math.round(128 - 0.168736 * R - 0.331264 * G + 0.5 * B)));
                    out[vo + k] = (byte) Math.max(0, Math.min(255, Math.round(128 + 0.5 * R - 0.418688 * G - 0.081312 * B)));
                }
            }
        }
        return out;
    }
}

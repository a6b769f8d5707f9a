package io.omnistream.loadtests.route;

import io.omnistream.loadtests.eval.EvalSession;
import io.omnistream.loadtests.eval.EvalSetGenerator;
import io.omnistream.loadtests.eval.SpeechBoundaries;
import io.omnistream.loadtests.eval.TalkingFace;
import io.omnistream.operators.understand.testutils.ChromiumScreenshots;
import io.omnistream.operators.understand.testutils.Recordings;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * The sessions the routing tuner replays: the turn-taking evaluation set ({@link EvalSetGenerator}: clean, noisy,
 * babble, no face, turned away, barge-in, background speech, A/V offset) plus a realistic customer-service mix:
 * long silences (the customer reads or waits), a screen share that stays idle for a minute with only a clock
 * ticking in its corner and then switches to another dialog, the camera on or off, quiet and noisy rooms. The
 * customer asks about what the screen shows (espeak-ng speech, so the embedded responder has something to answer),
 * the dialogs are the Chromium-rendered error pages of the OCR tests. Deterministic (fixed seed).
 */
public final class SessionMix {
    /** Questions per dialog page (file name without .html). */
    private static final String[][] QUESTIONS = {
        {"payment-declined-E-4021", "my card payment was declined what does this error mean"},
        {"windows-signin-0x80070005", "I cannot sign in it says access denied"},
        {"refund-order-status", "I would like a refund for this order"},
        {"router-fault-R-1203", "my router shows an error code and the internet is down"},
        {"update-failed-0x8024402C", "the update failed with an error code"},
        {"browser-connection-refused", "the website does not load it says connection refused"},
    };
    /** Per mix session: camera on, room noise (dBFS RMS), screen share on. */
    private static final Object[][] KINDS = {
        {"quiet-camera", true, -68.0, true},
        {"quiet-camera", true, -68.0, true},
        {"quiet-no-camera", false, -68.0, true},
        {"noisy-camera", true, -42.0, true},
        {"quiet-camera-no-screen", true, -68.0, false},
        {"noisy-no-camera", false, -42.0, true},
    };

    private SessionMix() {}

    public static List<TunerSession> build(int evalCustomers, int mixSessions, int mixSeconds, Path work) throws Exception {
        List<TunerSession> out = new ArrayList<>();
        if (evalCustomers > 0) {
            for (EvalSession e : EvalSetGenerator.fromDebianRecordings().generate(EvalSetGenerator.SCENARIOS, evalCustomers)) {
                TunerSession t = new TunerSession(e.id, "eval:" + e.scenario, e.audio, e.pictureMode, e.opening, e.agentSpeaking);
                for (EvalSession.Utterance u : e.utterances) {
                    t.utterances.add(new long[] {u.startMicros, u.endMicros});
                }
                out.add(t);
            }
        }
        if (mixSessions > 0) {
            List<byte[][]> dialogs = dialogs(work.resolve("screens"));
            for (int i = 0; i < mixSessions; i++) {
                out.add(mixSession(i, mixSeconds, dialogs, work.resolve("speech")));
            }
        }
        return out;
    }

    /** Per dialog: the plain picture and 12 variants with the corner clock at successive minutes. */
    private static List<byte[][]> dialogs(Path dir) throws Exception {
        List<byte[][]> out = new ArrayList<>();
        for (String[] q : QUESTIONS) {
            Path html = ChromiumScreenshots.dialogs().stream().filter(p -> p.getFileName().toString().equals(q[0] + ".html"))
                    .findFirst().orElseThrow(() -> new IllegalStateException("no dialog " + q[0]));
            ChromiumScreenshots.Shot shot = ChromiumScreenshots.render(html, 1280, 720, dir);
            BufferedImage img = ImageIO.read(shot.png.toFile());
            byte[][] pics = new byte[12][];
            for (int m = 0; m < pics.length; m++) {
                BufferedImage c = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
                Graphics2D g = c.createGraphics();
                g.drawImage(img, 0, 0, null);
                g.setColor(new Color(235, 235, 235));
                g.fillRect(1180, 692, 100, 28);
                g.setColor(Color.DARK_GRAY);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
                g.drawString(String.format(Locale.ROOT, "10:%02d", 41 + m), 1220, 711);
                g.dispose();
                pics[m] = ChromiumScreenshots.toJpeg(c, 0.9f);
            }
            out.add(pics);
        }
        return out;
    }

    private static TunerSession mixSession(int i, int seconds, List<byte[][]> dialogs, Path speechDir) throws Exception {
        Object[] kind = KINDS[i % KINDS.length];
        boolean camera = (Boolean) kind[1];
        double noiseDb = (Double) kind[2];
        boolean screen = (Boolean) kind[3];
        int total = seconds * 16_000;
        short[] clean = new short[total];
        int d1 = i % QUESTIONS.length;
        int d2 = (i + 1) % QUESTIONS.length;
        long[] starts = {seconds * 1_000_000L / 4, seconds * 3_000_000L / 4};
        String[] said = {QUESTIONS[d1][1], QUESTIONS[d2][1]};
        TunerSession s = new TunerSession("mix-" + kind[0] + "-" + i, "mix:" + kind[0], new short[total], null, null, false);
        List<long[]> truth = new ArrayList<>();
        for (int u = 0; u < 2; u++) {
            short[] speech = Recordings.spoken(said[u], speechDir, 160);
            SpeechBoundaries b = SpeechBoundaries.of(speech);
            int at = (int) (starts[u] * 16 / 1000);
            int n = Math.min(speech.length, total - at);
            for (int k = 0; k < n; k++) {
                clean[at + k] = (short) Math.round(speech[k] * 0.5); // about -20 dBFS speech
            }
            truth.add(new long[] {(at + b.start) * 1_000_000L / 16_000, (at + b.end) * 1_000_000L / 16_000});
        }
        Random rng = new Random(EvalSetGenerator.SEED + i);
        double sigma = Math.pow(10, noiseDb / 20) * 32768;
        for (int k = 0; k < total; k++) {
            s.audio[k] = (short) Math.max(-32768, Math.min(32767, Math.round(clean[k] + rng.nextGaussian() * sigma)));
        }
        s.utterances.addAll(truth);

        double[] db = SpeechBoundaries.levels(clean);
        int pictures = EvalSession.pictureAt(s.durationMicros()) + 1;
        byte[] mode = new byte[pictures];
        float[] opening = new float[pictures];
        for (int k = 0; k < pictures; k++) {
            long t = EvalSession.pictureTimeMicros(k);
            mode[k] = camera ? (byte) TalkingFace.FRONT : 0;
            boolean speaking = truth.stream().anyMatch(u -> t >= u[0] && t < u[1]);
            int f = (int) Math.min(db.length - 1, t * 16 / 1000 / SpeechBoundaries.FRAME);
            opening[k] = speaking ? (float) Math.pow(Math.max(0.35, Math.min(1, (db[f] + 45) / 30.0)), 0.7) : 0f;
        }
        TunerSession out = new TunerSession(s.id, s.kind, s.audio, mode, opening, false);
        out.utterances.addAll(truth);
        if (screen) {
            long change = seconds * 1_000_000L / 2;
            for (long t = 0; t < s.durationMicros(); t += 5_000_000) {
                int dialog = t < change ? d1 : d2;
                int minute = (int) (t / 5_000_000) % 12;
                out.screenChangeMicros.add(t == 0 ? 0 : t);
                out.screenJpeg.add(dialogs.get(dialog)[minute]);
                if (t < change && t + 5_000_000 > change) {
                    out.screenChangeMicros.add(change);
                    out.screenJpeg.add(dialogs.get(d2)[minute]);
                }
            }
        }
        return out;
    }

    public static void write(List<TunerSession> sessions, Path file) throws Exception {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (ObjectOutputStream o = new ObjectOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(file)))) {
            o.writeObject(new ArrayList<>(sessions));
        }
    }
}

package io.omnistream.operators.route;

import static io.omnistream.operators.perception.PerceptionTestData.LIBRIVOX_0880;
import static io.omnistream.operators.perception.PerceptionTestData.astronaut;
import static io.omnistream.operators.perception.PerceptionTestData.face;
import static io.omnistream.operators.perception.PerceptionTestData.frame;
import static io.omnistream.operators.perception.PerceptionTestData.readWav;
import static io.omnistream.operators.perception.PerceptionTestData.tickRms;
import static io.omnistream.operators.understand.testutils.Frames.event;
import static io.omnistream.operators.understand.testutils.Frames.tickEnd;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.asr.StreamingAsrFunction;
import io.omnistream.operators.asr.TurnUpdate;
import io.omnistream.operators.fusion.FusedFrame;
import io.omnistream.operators.ocr.ScreenToRead;
import io.omnistream.operators.ocr.StableScreenFilter;
import io.omnistream.operators.perception.PerceptionConfig;
import io.omnistream.operators.perception.PerceptionFunction;
import io.omnistream.operators.respond.EmbeddedResponder;
import io.omnistream.operators.turn.AgentActivity;
import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.operators.understand.testutils.Frames;
import io.omnistream.operators.understand.testutils.Recordings;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.RouteDecision;
import io.omnistream.schemas.SpeechEvent;
import io.omnistream.schemas.SpeechEventType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every downstream operator obeys the router: it skips the work a decision turns off, and a frame whose decision
 * turns everything on (or that has none) gives exactly the unrouted result. Real recording, real face, real models.
 */
class RoutedOperatorsTest {
    private static final int TICK = 640;
    private static final int LEAD = 60;
    private static final int TAIL = 120;
    private static List<PerceptionFrame> frames;
    private static int speechTicks;

    @BeforeAll
    static void media() throws Exception {
        short[] speech = readWav(LIBRIVOX_0880);
        short[] all = new short[(LEAD + TAIL) * TICK + speech.length];
        System.arraycopy(speech, 0, all, LEAD * TICK, speech.length);
        speechTicks = speech.length / TICK;
        double[] rms = tickRms(all, TICK);
        double peak = Arrays.stream(rms).max().orElse(1);
        Mat base = astronaut();
        byte[][] levels = new byte[9][];
        for (int i = 0; i < levels.length; i++) {
            levels[i] = face(base, i / 8.0);
        }
        frames = new ArrayList<>();
        long seq = -1;
        byte[] picture = null;
        for (int t = 0; t < rms.length; t++) {
            long pictureSeq = t * 40 / 67;
            if (pictureSeq != seq) {
                seq = pictureSeq;
                picture = levels[(int) Math.round(Math.min(1, Math.sqrt(rms[t] / peak) * 1.3) * 8)];
            }
            frames.add(frame("s1", t, all, TICK, picture, seq));
        }
    }

    private static List<PerceptionFrame> copies(Consumer<PerceptionFrame> stamp) {
        List<PerceptionFrame> out = new ArrayList<>();
        for (PerceptionFrame f : frames) {
            PerceptionFrame c = RouteTestData.copy(f);
            stamp.accept(c);
            out.add(c);
        }
        return out;
    }

    private static List<PerceptionFrame> routed(RouteConfig config) throws Exception {
        var h = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new ModalityRouter(config)),
                PerceptionFrame::getSessionId, (AgentActivity a) -> a.sessionId, Types.STRING);
        h.open();
        for (PerceptionFrame f : copies(f -> { })) {
            h.processElement1(new StreamRecord<>(f));
        }
        List<PerceptionFrame> out = new ArrayList<>(h.extractOutputValues());
        h.close();
        return out;
    }

    private static List<FusedFrame> perceive(PerceptionFunction fn, List<PerceptionFrame> in) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(fn), PerceptionFrame::getSessionId, Types.STRING);
        h.open();
        for (PerceptionFrame f : in) {
            h.processElement(f, f.getTickEndMicros() / 1000);
        }
        List<FusedFrame> out = new ArrayList<>(h.extractOutputValues());
        h.close();
        return out;
    }

    @Test
    void perceptionWithEveryPathOnIsExactlyPerceptionWithoutRouting() throws Exception {
        List<FusedFrame> unrouted = perceive(new PerceptionFunction(PerceptionConfig.defaults()), copies(f -> { }));
        List<FusedFrame> allOn = perceive(new PerceptionFunction(PerceptionConfig.defaults()), copies(f -> f.setRoute(RouteTestData.allOn())));
        List<FusedFrame> disabled = perceive(new PerceptionFunction(PerceptionConfig.defaults()), routed(RouteConfig.disabled()));
        assertThat(allOn).hasSameSizeAs(unrouted);
        for (int i = 0; i < unrouted.size(); i++) {
            assertThat(allOn.get(i)).usingRecursiveComparison().ignoringFields("perceivedMicros").isEqualTo(unrouted.get(i));
            assertThat(disabled.get(i)).usingRecursiveComparison().ignoringFields("perceivedMicros").isEqualTo(unrouted.get(i));
        }
    }

    @Test
    void perceptionSkipsTheVadAndFaceWorkTheRouterTurnsOffAndTreatsSkippedTicksAsSilence() throws Exception {
        PerceptionFunction always = new PerceptionFunction(PerceptionConfig.defaults());
        List<FusedFrame> unrouted = perceiveKeeping(always, copies(f -> { }));
        List<PerceptionFrame> in = routed(RouteConfig.defaults());
        PerceptionFunction fn = new PerceptionFunction(PerceptionConfig.defaults());
        List<FusedFrame> out = perceiveKeeping(fn, in);

        assertThat(fn.workCount("work.vad.skipped")).isGreaterThan(LEAD + TAIL / 2);
        assertThat(fn.workCount("work.vad.run")).isLessThan(always.workCount("work.vad.run"));
        assertThat(fn.workCount("work.lips.skipped")).isGreaterThan(0);
        assertThat(fn.workCount("work.faceDetect.run")).isLessThan(always.workCount("work.faceDetect.run"));
        for (int i = 0; i < out.size(); i++) {
            RouteDecision d = in.get(i).getRoute();
            if (!d.getVad()) {
                assertThat(out.get(i).vadProbability).isZero();
                assertThat(out.get(i).audioProbability).isZero();
                assertThat(unrouted.get(i).audioProbability).as("always-on at a routed-silent tick %d", i).isZero();
            }
        }
        List<FusedFrame> speech = out.subList(LEAD + 5, LEAD + speechTicks - 5);
        assertThat(speech.stream().filter(f -> f.vadProbability > 0.5f).count()).isGreaterThan(speech.size() * 7 / 10);
        assertThat(speech).allSatisfy(f -> assertThat(f.faceUsable).isTrue());
        assertThat(speech.stream().filter(f -> f.speakingProbability > 0.6f).count()).isGreaterThan(speech.size() * 6 / 10);
    }

    /**
     * A quiet room without a camera, as in the realistic session mix: 12 s of -68 dBFS noise, a sentence, 12 s of
     * noise, the sentence again, 1 s of noise. The router skips the VAD through the long noise.
     */
    private static List<PerceptionFrame> quietRoom() throws Exception {
        short[] speech = readWav(LIBRIVOX_0880);
        int noise = 300 * TICK;
        short[] all = new short[3 * noise + 2 * speech.length + 25 * TICK];
        System.arraycopy(speech, 0, all, noise, speech.length);
        System.arraycopy(speech, 0, all, 2 * noise + speech.length, speech.length);
        java.util.Random rng = new java.util.Random(8);
        double sigma = Math.pow(10, -68 / 20.0) * 32768;
        for (int i = 0; i < all.length; i++) {
            all[i] = (short) Math.max(-32768, Math.min(32767, Math.round(all[i] + rng.nextGaussian() * sigma)));
        }
        List<PerceptionFrame> out = new ArrayList<>();
        for (int t = 0; t < all.length / TICK; t++) {
            out.add(frame("room", t, all, TICK, null, 0));
        }
        return out;
    }

    private static List<PerceptionFrame> routedFrom(List<PerceptionFrame> in, RouteConfig config) throws Exception {
        var h = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new ModalityRouter(config)),
                PerceptionFrame::getSessionId, (AgentActivity a) -> a.sessionId, Types.STRING);
        h.open();
        for (PerceptionFrame f : in) {
            h.processElement1(new StreamRecord<>(RouteTestData.copy(f)));
        }
        List<PerceptionFrame> out = new ArrayList<>(h.extractOutputValues());
        h.close();
        return out;
    }

    private static List<PerceptionFrame> copiesOf(List<PerceptionFrame> in) {
        List<PerceptionFrame> out = new ArrayList<>();
        in.forEach(f -> out.add(RouteTestData.copy(f)));
        return out;
    }

    @Test
    void aVadSkippedThroughLongRoomNoiseGivesExactlyTheAlwaysOnSpeechProbabilities() throws Exception {
        PerceptionConfig restart = PerceptionConfig.defaults();
        restart.vadRestartAfterSilenceMicros = PerceptionConfig.VAD_RESTART_AFTER_SILENCE_MICROS;
        List<PerceptionFrame> room = quietRoom();
        List<FusedFrame> always = perceive(new PerceptionFunction(restart), copiesOf(room));
        PerceptionFunction fn = new PerceptionFunction(restart);
        List<FusedFrame> routed = perceiveKeeping(fn, routedFrom(room, RouteConfig.defaults()));

        assertThat(fn.workCount("work.vad.skipped")).as("the VAD was skipped through the noise").isGreaterThan(500);
        assertThat(always.stream().filter(f -> f.audioProbability > 0.6f).count()).as("speech ticks").isGreaterThan(50);
        assertThat(routed).hasSameSizeAs(always);
        for (int i = 0; i < always.size(); i++) {
            assertThat(routed.get(i).audioProbability).as("P(speech) at tick %d", i).isEqualTo(always.get(i).audioProbability);
            assertThat(routed.get(i).speakingProbability).as("P(speaking) at tick %d", i).isEqualTo(always.get(i).speakingProbability);
        }
    }

    @Test
    void withoutARestartAfterSilenceTheAlwaysOnVadReadsSpeechAfterLongNoiseDifferently() throws Exception {
        // why the restart exists: Silero's state integrates near-silence for tens of seconds, so a VAD that ran through
        // the noise and one that starts fresh at the speech disagree, and no router can reproduce the former cheaply
        PerceptionConfig noRestart = PerceptionConfig.defaults();
        noRestart.vadRestartAfterSilenceMicros = 0;
        List<PerceptionFrame> room = quietRoom();
        List<FusedFrame> always = perceive(new PerceptionFunction(noRestart), copiesOf(room));
        List<FusedFrame> routed = perceive(new PerceptionFunction(noRestart), routedFrom(room, RouteConfig.defaults()));
        float worst = 0f;
        for (int i = 0; i < always.size(); i++) {
            worst = Math.max(worst, Math.abs(routed.get(i).audioProbability - always.get(i).audioProbability));
        }
        assertThat(worst).isGreaterThan(0.2f);
    }

    /** Like {@link #perceive} but keeps the function open long enough to read its counters (the harness owns it). */
    private static List<FusedFrame> perceiveKeeping(PerceptionFunction fn, List<PerceptionFrame> in) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(fn), PerceptionFrame::getSessionId, Types.STRING);
        h.open();
        for (PerceptionFrame f : in) {
            h.processElement(f, f.getTickEndMicros() / 1000);
        }
        return new ArrayList<>(h.extractOutputValues());
    }

    @Test
    void theStableScreenIsReadOnlyOnATickThatAllowsOcr() throws Exception {
        UnderstandingConfig c = new UnderstandingConfig();
        byte[] a = RouteTestData.screen(new String[] {"Payment declined", "Error code E-4021"}, false);
        byte[] b = RouteTestData.screen(new String[] {"Order 123-4567890", "Refund pending"}, false);
        byte[] d = RouteTestData.screen(new String[] {"Order 123-4567890", "Refund sent"}, false);
        StableScreenFilter filter = new StableScreenFilter(c);
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(filter), PerceptionFrame::getSessionId, Types.STRING);
        h.open();
        List<PerceptionFrame> in = copies(f -> { }).subList(0, 120);
        for (int t = 0; t < in.size(); t++) {
            PerceptionFrame f = in.get(t);
            byte[] pic = t < 40 ? a : t < 80 ? b : d;
            RouteTestData.withScreen(f, pic, t < 40 ? 1 : t < 80 ? 2 : 3, t == 0 || t == 40 || t == 80);
            RouteDecision r = RouteTestData.allOn();
            r.setOcrTrigger(t >= 30 && t < 40 || t >= 100); // b (40..79) is stable but never allowed, then replaced
            f.setRoute(r);
            h.processElement(f, t);
        }
        List<ScreenToRead> reads = h.extractOutputValues();
        assertThat(reads).extracting(s -> s.picture.getSeq()).containsExactly(1L, 3L);
        assertThat(filter.skippedReads()).isEqualTo(1);
        h.close();

        StableScreenFilter plain = new StableScreenFilter(c);
        var h2 = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(plain), PerceptionFrame::getSessionId, Types.STRING);
        h2.open();
        for (int t = 0; t < in.size(); t++) {
            PerceptionFrame f = RouteTestData.copy(in.get(t));
            f.setRoute(null);
            h2.processElement(f, t);
        }
        assertThat(h2.extractOutputValues()).extracting(s -> s.picture.getSeq()).containsExactly(1L, 2L, 3L);
        h2.close();
    }

    @Test
    void asrDoesNotFeedTheDecoderOnRoutedSilentTicks() throws Exception {
        Recordings.Utterance speech = Recordings.librivox().get(0);
        String plain = transcribe(speech, null);
        String routedOff = transcribe(speech, RouteTestData.allOn());
        RouteDecision silent = RouteTestData.allOn();
        silent.setAsrActive(false);
        String skipped = transcribe(speech, silent);
        assertThat(plain).contains("dashwood");
        assertThat(routedOff).isEqualTo(plain);
        assertThat(Recordings.words(skipped)).isLessThan(Recordings.words(plain) / 2);
    }

    /** One turn through the ASR operator, every frame stamped with {@code route} (null: none); the final text. */
    private static String transcribe(Recordings.Utterance speech, RouteDecision route) throws Exception {
        UnderstandingConfig c = new UnderstandingConfig();
        c.asrDecodersPerInstance = 1;
        c.asrMaxDecodersPerInstance = 1;
        var h = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new StreamingAsrFunction(c)),
                PerceptionFrame::getSessionId, SpeechEvent::getSessionId, Types.STRING);
        h.open();
        List<PerceptionFrame> in = Frames.session("s", speech.samples, 500, 800, null, 0);
        long start = 500_000;
        long end = start + speech.samples.length * 1_000_000L / 16_000;
        boolean started = false;
        boolean ended = false;
        for (PerceptionFrame f : in) {
            f.setRoute(route == null ? null : RouteDecision.newBuilder(route).build());
            h.processElement1(new StreamRecord<>(f));
            if (!started && f.getTickEndMicros() >= tickEnd(start)) {
                h.processElement2(new StreamRecord<>(event("s", SpeechEventType.SPEECH_START, 1, f.getTickEndMicros(), start)));
                started = true;
            }
            if (!ended && f.getTickEndMicros() >= tickEnd(end) + 200_000) {
                h.processElement2(new StreamRecord<>(event("s", SpeechEventType.SPEECH_END, 1, f.getTickEndMicros(), end)));
                ended = true;
            }
        }
        h.processElement2(new StreamRecord<>(event("s", SpeechEventType.END_OF_TURN, 1, in.get(in.size() - 1).getTickEndMicros(), end)));
        List<TurnUpdate> out = h.extractOutputValues();
        h.close();
        TurnUpdate fin = out.get(out.size() - 1);
        assertThat(fin.kind).isEqualTo(TurnUpdate.Kind.END_OF_TURN);
        return fin.text();
    }

    @Test
    void theResponderEmbedsOnlyNewTextWhenRoutingAsksForIt() {
        UnderstandingConfig c = new UnderstandingConfig();
        EmbeddedResponder plain = new EmbeddedResponder(c);
        UnderstandingConfig r = new UnderstandingConfig();
        r.encodeNewTextOnly = true;
        EmbeddedResponder reusing = new EmbeddedResponder(r);
        String said = "my card payment was declined again";
        for (int i = 0; i < 3; i++) {
            EmbeddedResponder.Answer p = plain.answer(said, null);
            EmbeddedResponder.Answer q = reusing.answer(said, null);
            assertThat(q.intentId).isEqualTo(p.intentId);
            assertThat(q.text).isEqualTo(p.text);
            assertThat(q.score).isEqualTo(p.score);
        }
        assertThat(plain.encodes()).isEqualTo(3);
        assertThat(reusing.encodes()).isEqualTo(1);
        assertThat(reusing.reuses()).isEqualTo(2);
        reusing.answer("where is my refund", null);
        assertThat(reusing.encodes()).isEqualTo(2);
    }
}

package io.omnistream.operators.route;

import static io.omnistream.operators.perception.PerceptionTestData.LIBRIVOX_0880;
import static io.omnistream.operators.perception.PerceptionTestData.astronaut;
import static io.omnistream.operators.perception.PerceptionTestData.face;
import static io.omnistream.operators.perception.PerceptionTestData.frame;
import static io.omnistream.operators.perception.PerceptionTestData.readWav;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.audio.Pcm16;
import io.omnistream.operators.turn.AgentActivity;
import io.omnistream.schemas.FaceMode;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.RouteDecision;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The router's decisions on a real recording, a real face picture and rendered screens, in Flink's operator harness. */
class ModalityRouterTest {
    private static final int TICK = 640;
    private static final long TICK_MICROS = 40_000;
    private static final int LEAD = 50;
    private static final int TAIL = 100;
    private static short[] audio;
    private static byte[] faceJpeg;

    @BeforeAll
    static void media() throws Exception {
        short[] speech = readWav(LIBRIVOX_0880);
        audio = new short[(LEAD + TAIL) * TICK + speech.length];
        System.arraycopy(speech, 0, audio, LEAD * TICK, speech.length);
        Mat base = astronaut();
        faceJpeg = face(base, 0.2);
    }

    private static List<PerceptionFrame> frames(boolean camera) {
        List<PerceptionFrame> out = new ArrayList<>();
        for (int t = 0; t < audio.length / TICK; t++) {
            out.add(frame("s1", t, audio, TICK, camera ? faceJpeg : null, t * 40L / 67));
        }
        return out;
    }

    private static KeyedTwoInputStreamOperatorTestHarness<String, PerceptionFrame, AgentActivity, PerceptionFrame> harness(ModalityRouter r)
            throws Exception {
        var h = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(r), PerceptionFrame::getSessionId,
                (AgentActivity a) -> a.sessionId, Types.STRING);
        h.open();
        return h;
    }

    private static List<PerceptionFrame> route(KeyedTwoInputStreamOperatorTestHarness<String, PerceptionFrame, AgentActivity, PerceptionFrame> h,
            List<PerceptionFrame> in) throws Exception {
        int before = h.extractOutputValues().size();
        for (PerceptionFrame f : in) {
            h.processElement1(new StreamRecord<>(f, f.getTickEndMicros() / 1000));
        }
        List<PerceptionFrame> all = h.extractOutputValues();
        return new ArrayList<>(all.subList(before, all.size()));
    }

    private static float energy(PerceptionFrame f) {
        return Pcm16.energyDb(Pcm16.toFloats(f.getAudio()));
    }

    @Test
    void switchesPathsOnAtTheFirstLoudTickAndOffAfterEachHangover() throws Exception {
        RouteConfig c = RouteConfig.defaults();
        c.faceIdleSampleMicros = 0;
        var h = harness(new ModalityRouter(c));
        List<PerceptionFrame> out = route(h, frames(true));
        int firstLoud = -1;
        int lastLoud = -1;
        for (int t = 0; t < out.size(); t++) {
            if (energy(out.get(t)) >= c.gateDb) {
                firstLoud = firstLoud < 0 ? t : firstLoud;
                lastLoud = t;
            }
        }
        assertThat(firstLoud).isBetween(LEAD, LEAD + 10);
        for (int t = 0; t < firstLoud; t++) {
            RouteDecision d = out.get(t).getRoute();
            assertThat(d.getVad()).isFalse();
            assertThat(d.getAsrActive()).isFalse();
            assertThat(d.getFaceMode()).isEqualTo(FaceMode.OFF);
            assertThat(d.getLipFeatures()).isFalse();
        }
        RouteDecision onset = out.get(firstLoud).getRoute();
        assertThat(onset.getVad()).isTrue();
        assertThat(onset.getAsrActive()).isTrue();
        assertThat(onset.getFaceMode()).isEqualTo(FaceMode.EVERY_NTH);
        assertThat(onset.getFaceEveryN()).isEqualTo(5);
        assertThat(onset.getLipFeatures()).isTrue();
        assertThat(onset.getAudioEnergyDb()).isEqualTo(energy(out.get(firstLoud)));

        long lastLoudEnd = out.get(lastLoud).getTickEndMicros();
        for (int t = lastLoud + 1; t < out.size(); t++) {
            RouteDecision d = out.get(t).getRoute();
            long since = out.get(t).getTickEndMicros() - lastLoudEnd;
            assertThat(d.getVad()).as("vad %d us after speech", since).isEqualTo(since <= c.vadHangoverMicros);
            assertThat(d.getAsrActive()).as("asr %d us after speech", since).isEqualTo(since <= c.asrHangoverMicros);
            FaceMode expected = since <= c.faceHangoverMicros ? FaceMode.EVERY_NTH
                    : since <= c.faceHangoverMicros + c.faceTrackOnlyMicros ? FaceMode.TRACK_ONLY : FaceMode.OFF;
            assertThat(d.getFaceMode()).as("face %d us after speech", since).isEqualTo(expected);
        }
        // the tail is long enough that every path ends up off
        RouteDecision last = out.get(out.size() - 1).getRoute();
        assertThat(last.getVad() || last.getAsrActive() || last.getLipFeatures() || last.getTextEncode()).isFalse();
        assertThat(last.getAttentionPairs()).isZero();
        assertThat(onset.getAttentionPairs() & (1 << (ModalityRouter.AUDIO * 4 + ModalityRouter.LIPS))).isNotZero();
        h.close();
    }

    @Test
    void outsideSpeechTheFaceIsLookedAtOncePerSamplePeriod() throws Exception {
        RouteConfig c = RouteConfig.defaults();
        var h = harness(new ModalityRouter(c));
        List<PerceptionFrame> out = route(h, frames(true).subList(0, LEAD)); // 2 s of silence
        List<Integer> sampled = new ArrayList<>();
        for (int t = 0; t < out.size(); t++) {
            if (out.get(t).getRoute().getFaceMode() != FaceMode.OFF) {
                sampled.add(t);
                assertThat(out.get(t).getRoute().getFaceMode()).isEqualTo(FaceMode.EVERY_NTH);
                assertThat(out.get(t).getRoute().getVad()).isFalse();
            }
        }
        int period = (int) (c.faceIdleSampleMicros / TICK_MICROS);
        assertThat(sampled).containsExactly(0, period);
        h.close();
    }

    @Test
    void withoutACameraNoFaceWorkRunsEvenDuringSpeech() throws Exception {
        var h = harness(new ModalityRouter(RouteConfig.defaults()));
        List<PerceptionFrame> out = route(h, frames(false));
        assertThat(out).allSatisfy(f -> {
            assertThat(f.getRoute().getFaceMode()).isEqualTo(FaceMode.OFF);
            assertThat(f.getRoute().getLipFeatures()).isFalse();
        });
        assertThat(out.stream().filter(f -> f.getRoute().getVad()).count()).isGreaterThan(50);
        h.close();
    }

    @Test
    void whileTheAgentSpeaksVadAndLipTrackingStayWarm() throws Exception {
        RouteConfig c = RouteConfig.defaults();
        c.faceIdleSampleMicros = 0;
        var h = harness(new ModalityRouter(c));
        List<PerceptionFrame> silent = frames(true).subList(0, LEAD);
        h.processElement2(new StreamRecord<>(new AgentActivity("s1", "r1", true, 1)));
        List<PerceptionFrame> out = route(h, silent.subList(0, 20));
        assertThat(out).allSatisfy(f -> {
            assertThat(f.getRoute().getVad()).isTrue();
            assertThat(f.getRoute().getFaceMode()).isEqualTo(FaceMode.TRACK_ONLY);
            assertThat(f.getRoute().getAsrActive()).isFalse();
        });
        h.processElement2(new StreamRecord<>(new AgentActivity("s1", "r1", false, 2)));
        out = route(h, silent.subList(20, LEAD));
        assertThat(out).allSatisfy(f -> {
            assertThat(f.getRoute().getVad()).isFalse();
            assertThat(f.getRoute().getFaceMode()).isEqualTo(FaceMode.OFF);
        });
        h.close();
    }

    @Test
    void smallScreenChangesWaitForSpeechWhileANewDialogIsReadAtOnce() throws Exception {
        RouteConfig c = RouteConfig.defaults();
        var h = harness(new ModalityRouter(c));
        byte[] a = RouteTestData.screen(new String[] {"Payment declined", "Error code E-4021", "Contact your bank"}, false);
        byte[] aCursor = RouteTestData.screen(new String[] {"Payment declined", "Error code E-4021", "Contact your bank"}, true);
        byte[] b = RouteTestData.screen(new String[] {"Windows sign-in failed", "Error 0x80070005", "Access is denied", "Try again later"}, false);
        List<PerceptionFrame> in = new ArrayList<>(frames(false).subList(0, LEAD)); // silent
        long seq = 0;
        for (int t = 0; t < in.size(); t++) {
            byte[] pic = t < 30 ? (t >= 22 && t % 2 == 0 ? aCursor : a) : b;
            boolean changed = t == 0 || t >= 22 && t < 31;
            seq += changed ? 1 : 0;
            RouteTestData.withScreen(in.get(t), pic, seq, changed);
        }
        List<PerceptionFrame> out = route(h, in);
        int holdTicks = (int) (c.ocrHoldMicros / TICK_MICROS);
        assertThat(out.get(0).getRoute().getOcrTrigger()).as("first picture").isTrue();
        assertThat(out.get(0).getRoute().getScreenChangeFraction()).isEqualTo(1f);
        assertThat(out.get(holdTicks + 1).getRoute().getOcrTrigger()).as("after the hold, unchanged").isFalse();
        for (int t = 22; t < 30; t++) {
            assertThat(out.get(t).getRoute().getScreenChangeFraction()).as("cursor blink at %d", t).isLessThan(c.ocrMinChangeFraction);
            assertThat(out.get(t).getRoute().getOcrTrigger()).as("cursor blink at %d", t).isFalse();
        }
        assertThat(out.get(30).getRoute().getScreenChangeFraction()).as("new dialog").isGreaterThanOrEqualTo(c.ocrMinChangeFraction);
        assertThat(out.get(30).getRoute().getOcrTrigger()).isTrue();
        assertThat(out.get(30).getRoute().getTextEncode()).isTrue();

        // a small change, then the customer speaks: the screen is released to OCR for the answer
        short[] later = new short[audio.length + 10 * TICK]; // the recording's speech 10 ticks later than in frames()
        System.arraycopy(audio, 0, later, 10 * TICK, audio.length);
        List<PerceptionFrame> more = new ArrayList<>();
        for (int t = LEAD; t < LEAD + 40; t++) {
            PerceptionFrame f = frame("s1", t, later, TICK, null, 0);
            boolean changed = t == LEAD + 2;
            seq += changed ? 1 : 0;
            more.add(RouteTestData.withScreen(f, changed ? RouteTestData.screen(new String[] {"Windows sign-in failed", "Error 0x80070005",
                    "Access is denied", "Try again later"}, true) : b, seq, changed));
        }
        List<PerceptionFrame> out2 = route(h, more);
        int loud = -1;
        for (int t = 0; t < out2.size(); t++) {
            if (energy(out2.get(t)) >= c.gateDb) {
                loud = t;
                break;
            }
        }
        assertThat(loud).isGreaterThan(2);
        assertThat(out2.get(2).getRoute().getOcrTrigger()).as("blink while silent").isFalse();
        assertThat(out2.get(loud).getRoute().getOcrTrigger()).as("speech").isTrue();
        h.close();
    }

    @Test
    void anUndecodableScreenIsCountedAndLeftToOcr() throws Exception {
        ModalityRouter r = new ModalityRouter(RouteConfig.defaults());
        var h = harness(r);
        List<PerceptionFrame> in = new ArrayList<>(frames(false).subList(0, 3));
        for (int t = 0; t < in.size(); t++) {
            RouteTestData.withScreen(in.get(t), new byte[] {1, 2, 3, 4, 5}, t, true);
        }
        List<PerceptionFrame> out = route(h, in);
        assertThat(out).allSatisfy(f -> assertThat(f.getRoute().getOcrTrigger()).isTrue());
        assertThat(r.badScreenPictures()).isEqualTo(3);
        h.close();
    }

    @Test
    void disabledRoutingPassesEveryFrameUnchanged() throws Exception {
        var h = harness(new ModalityRouter(RouteConfig.disabled()));
        List<PerceptionFrame> in = frames(true);
        List<PerceptionFrame> expected = new ArrayList<>();
        in.forEach(f -> expected.add(RouteTestData.copy(f)));
        List<PerceptionFrame> out = route(h, in);
        assertThat(out).hasSize(expected.size());
        for (int i = 0; i < out.size(); i++) {
            assertThat(out.get(i).getRoute()).isNull();
            assertThat(out.get(i)).isEqualTo(expected.get(i));
        }
        h.close();
    }
}

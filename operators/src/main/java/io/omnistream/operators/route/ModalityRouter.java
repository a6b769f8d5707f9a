package io.omnistream.operators.route;

import io.omnistream.operators.audio.Pcm16;
import io.omnistream.operators.turn.AgentActivity;
import io.omnistream.schemas.FaceMode;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.RouteDecision;
import io.omnistream.schemas.TrackState;
import io.omnistream.schemas.VideoFrame;
import java.nio.ByteBuffer;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The router stage after alignment: per session and tick it decides, from cheap signals only, which perception
 * and understanding paths run, and stamps that {@link RouteDecision} on the frame so that every later operator
 * obeys the same decision. Keyed by session; the second input is the agent's {@link AgentActivity} (read back
 * from {@code omni.agent}, no loop in the graph). See the package documentation for the policy and why.
 *
 * <p>With {@link RouteConfig#enabled} false the frames pass unchanged (route = null: every path runs).
 */
public class ModalityRouter extends KeyedCoProcessFunction<String, PerceptionFrame, AgentActivity, PerceptionFrame> {
    private static final long serialVersionUID = 1L;

    /** Attention modality indices of {@link RouteDecision#getAttentionPairs()} (bit q*4+k). */
    public static final int AUDIO = 0;
    public static final int LIPS = 1;
    public static final int SCREEN = 2;
    public static final int TEXT = 3;
    public static final int ALL_PAIRS = 0xFFFF;

    private final RouteConfig config;
    private transient ValueState<RouteState> state;
    private transient WorkCounter frames;
    private transient WorkCounter vadOn;
    private transient WorkCounter vadOff;
    private transient WorkCounter faceDetect;
    private transient WorkCounter faceTrackOnly;
    private transient WorkCounter faceOff;
    private transient WorkCounter asrOn;
    private transient WorkCounter asrOff;
    private transient WorkCounter ocrOn;
    private transient WorkCounter ocrOff;
    private transient WorkCounter textOn;
    private transient WorkCounter textOff;
    private transient WorkCounter pairs;
    private transient WorkCounter thumbnails;
    private transient WorkCounter badScreen;
    private transient WorkCounter screenReleased;

    public ModalityRouter(RouteConfig config) {
        this.config = config.copy().validate();
    }

    @Override
    public void open(OpenContext openContext) {
        state = getRuntimeContext().getState(new ValueStateDescriptor<>("route", RouteState.class));
        frames = WorkCounter.register(getRuntimeContext(), "decision.frames");
        vadOn = WorkCounter.register(getRuntimeContext(), "decision.vad.run");
        vadOff = WorkCounter.register(getRuntimeContext(), "decision.vad.skipped");
        faceDetect = WorkCounter.register(getRuntimeContext(), "decision.face.detect");
        faceTrackOnly = WorkCounter.register(getRuntimeContext(), "decision.face.trackOnly");
        faceOff = WorkCounter.register(getRuntimeContext(), "decision.face.off");
        asrOn = WorkCounter.register(getRuntimeContext(), "decision.asr.run");
        asrOff = WorkCounter.register(getRuntimeContext(), "decision.asr.skipped");
        ocrOn = WorkCounter.register(getRuntimeContext(), "decision.ocr.run");
        ocrOff = WorkCounter.register(getRuntimeContext(), "decision.ocr.skipped");
        textOn = WorkCounter.register(getRuntimeContext(), "decision.text.run");
        textOff = WorkCounter.register(getRuntimeContext(), "decision.text.skipped");
        pairs = WorkCounter.register(getRuntimeContext(), "decision.attentionPairs");
        thumbnails = WorkCounter.register(getRuntimeContext(), "signal.screenThumbnails");
        badScreen = WorkCounter.register(getRuntimeContext(), "signal.badScreenPictures");
        screenReleased = WorkCounter.register(getRuntimeContext(), "memory.screen.released");
    }

    @Override
    public void processElement1(PerceptionFrame frame, Context ctx, Collector<PerceptionFrame> out) throws Exception {
        if (!config.enabled) {
            out.collect(frame);
            return;
        }
        RouteState st = state.value();
        if (st == null) {
            st = new RouteState();
        }
        RouteDecision d = decide(st, frame);
        state.update(st);
        count(d);
        frame.setRoute(d);
        out.collect(frame);
    }

    @Override
    public void processElement2(AgentActivity activity, Context ctx, Collector<PerceptionFrame> out) throws Exception {
        RouteState st = state.value();
        if (st == null) {
            st = new RouteState();
        }
        st.agentSpeaking = activity.speaking;
        state.update(st);
    }

    /** The policy: one decision from the session's state and this frame's cheap signals (updates the state). */
    RouteDecision decide(RouteState st, PerceptionFrame frame) {
        long t = frame.getTickEndMicros();
        double tickSeconds = Math.max(0, frame.getTickEndMicros() - frame.getTickStartMicros()) / 1e6;

        // ---- audio energy with a noise floor and hold-over
        ByteBuffer audio = frame.getAudio();
        float energy = audio == null ? Pcm16.SILENCE_FLOOR_DB : Pcm16.energyDb(Pcm16.toFloats(audio));
        if (Float.isNaN(st.floorDb) || energy < st.floorDb) {
            st.floorDb = energy;
        } else {
            st.floorDb = Math.min(energy, st.floorDb + (float) (config.floorRiseDbPerSecond * tickSeconds));
        }
        boolean loud = energy >= config.gateDb && (config.noiseMarginDb <= 0 || energy >= st.floorDb + config.noiseMarginDb);
        if (loud) {
            st.everLoud = true;
            st.lastLoudMicros = t;
        }
        long since = st.everLoud ? t - st.lastLoudMicros : Long.MAX_VALUE;
        boolean warm = config.agentKeepsWarm && st.agentSpeaking;
        boolean vad = since <= config.vadHangoverMicros || warm;
        boolean asr = since <= config.asrHangoverMicros;

        // ---- camera: detection around speech, tracking for a while after, then nothing
        VideoFrame cam = frame.getCamera();
        TrackState cs = frame.getCameraState();
        boolean cameraUsable = cam != null && (cs == TrackState.OK || cs == TrackState.STALE);
        FaceMode face;
        if (!cameraUsable) {
            face = FaceMode.OFF;
        } else if (since <= config.faceHangoverMicros) {
            face = config.faceEveryN == 1 ? FaceMode.EVERY_FRAME : FaceMode.EVERY_NTH;
        } else if (since <= config.faceHangoverMicros + config.faceTrackOnlyMicros || warm) {
            face = FaceMode.TRACK_ONLY;
        } else {
            face = FaceMode.OFF;
        }
        if (cameraUsable && face != FaceMode.EVERY_NTH && face != FaceMode.EVERY_FRAME && config.faceIdleSampleMicros > 0
                && (st.lastFaceWorkMicros == Long.MIN_VALUE || t - st.lastFaceWorkMicros >= config.faceIdleSampleMicros)) {
            face = FaceMode.EVERY_NTH; // idle sample: keeps the closed-lips baseline and the box fresh
        }
        if (face == FaceMode.EVERY_NTH || face == FaceMode.EVERY_FRAME) {
            st.lastFaceWorkMicros = t;
        }
        float mouthMotion = 0f;
        if (cam != null && cam.getJpeg() != null) {
            int bytes = cam.getJpeg().remaining();
            mouthMotion = st.lastCameraJpegBytes <= 0 ? 0f : Math.abs(bytes - st.lastCameraJpegBytes) / (float) st.lastCameraJpegBytes;
            st.lastCameraJpegBytes = bytes;
        }

        // ---- screen: change magnitude against the last picture released to OCR
        float change = screen(st, frame, t);
        boolean speaking = since <= config.asrHangoverMicros;
        if (config.ocrOnSpeech && speaking && st.dirtySince >= 0) {
            openOcr(st, t);
        }
        boolean ocr = t <= st.ocrOpenUntil || (config.ocrOnSpeech && speaking);
        boolean text = since <= config.textHangoverMicros
                || st.lastOcrOpenMicros != Long.MIN_VALUE && t - st.lastOcrOpenMicros <= config.ocrHoldMicros + config.textHangoverMicros;

        boolean lips = face != FaceMode.OFF;
        int active = (vad || asr ? 1 << AUDIO : 0) | (lips ? 1 << LIPS : 0) | (ocr ? 1 << SCREEN : 0) | (text ? 1 << TEXT : 0);
        int attention = 0;
        for (int q = 0; q < 4; q++) {
            for (int k = 0; k < 4; k++) {
                if ((active & (1 << q)) != 0 && (active & (1 << k)) != 0) {
                    attention |= 1 << (q * 4 + k);
                }
            }
        }
        return RouteDecision.newBuilder()
                .setFaceMode(face)
                .setFaceEveryN(face == FaceMode.EVERY_NTH ? config.faceEveryN : 1)
                .setLipFeatures(lips)
                .setVad(vad)
                .setAsrActive(asr)
                .setOcrTrigger(ocr)
                .setTextEncode(text)
                .setAttentionPairs(attention)
                .setAudioEnergyDb(energy)
                .setScreenChangeFraction(change)
                .setMouthMotion(mouthMotion)
                .build();
    }

    /** Updates the screen part of the state; returns the change magnitude of a new picture (0 when none). */
    private float screen(RouteState st, PerceptionFrame frame, long t) {
        VideoFrame screen = frame.getScreen();
        TrackState ss = frame.getScreenState();
        if (screen == null || ss == TrackState.ENDED || ss == TrackState.MISSING) {
            // the screen share is gone: its thumbnails are released, the next picture counts as new
            if (st.readThumb != null || st.lastThumb != null) {
                screenReleased.inc();
            }
            st.readThumb = null;
            st.lastThumb = null;
            st.lastScreenSeq = Long.MIN_VALUE;
            st.dirtySince = -1;
            return 0f;
        }
        if (screen.getSeq() == st.lastScreenSeq && !frame.getScreenChanged()) {
            if (st.dirtySince >= 0 && t - st.dirtySince >= config.ocrMaxDeferMicros) {
                openOcr(st, t);
            }
            return 0f;
        }
        st.lastScreenSeq = screen.getSeq();
        byte[] thumb = ScreenThumbnail.of(screen.getJpeg(), config.thumbWidth, config.thumbHeight);
        thumbnails.inc();
        if (thumb == null) {
            badScreen.inc(); // undecodable here: let OCR see it (it counts and skips bad pictures itself)
        }
        st.lastThumb = thumb;
        float change = ScreenThumbnail.changedFraction(thumb, st.readThumb, config.thumbPixelDelta);
        if (change >= config.ocrMinChangeFraction || t <= st.ocrOpenUntil) {
            openOcr(st, t);
        } else if (st.dirtySince < 0) {
            st.dirtySince = t;
        } else if (t - st.dirtySince >= config.ocrMaxDeferMicros) {
            openOcr(st, t);
        }
        return change;
    }

    private void openOcr(RouteState st, long t) {
        st.ocrOpenUntil = t + config.ocrHoldMicros;
        st.lastOcrOpenMicros = t;
        st.readThumb = st.lastThumb;
        st.dirtySince = -1;
    }

    private void count(RouteDecision d) {
        frames.inc();
        (d.getVad() ? vadOn : vadOff).inc();
        switch (d.getFaceMode()) {
            case EVERY_FRAME:
            case EVERY_NTH:
                faceDetect.inc();
                break;
            case TRACK_ONLY:
                faceTrackOnly.inc();
                break;
            default:
                faceOff.inc();
        }
        (d.getAsrActive() ? asrOn : asrOff).inc();
        (d.getOcrTrigger() ? ocrOn : ocrOff).inc();
        (d.getTextEncode() ? textOn : textOff).inc();
        pairs.inc(Integer.bitCount(d.getAttentionPairs()));
    }

    /** Screen pictures this instance could not decode for the change signal (OCR was allowed for them). */
    public long badScreenPictures() {
        return badScreen == null ? 0 : badScreen.count();
    }

    /** Whether {@code frame} carries a decision that allows path {@code on} (no decision: everything runs). */
    public static boolean allows(PerceptionFrame frame, java.util.function.Predicate<RouteDecision> on) {
        RouteDecision d = frame.getRoute();
        return d == null || on.test(d);
    }
}

package io.omnistream.operators.perception;

import ai.onnxruntime.OrtException;
import io.omnistream.gpu.logmel.LogMel;
import io.omnistream.gpu.logmel.LogMels;
import io.omnistream.gpu.logmel.StreamingLogMel;
import io.omnistream.operators.audio.Pcm16;
import io.omnistream.operators.face.BlazeFaceDetector;
import io.omnistream.operators.face.LipObservation;
import io.omnistream.operators.face.LipTracker;
import io.omnistream.operators.fusion.EarlyFusion;
import io.omnistream.operators.fusion.FusedFrame;
import io.omnistream.operators.vad.SileroVad;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.TrackState;
import io.omnistream.schemas.VideoFrame;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The perception stage of a session, per aligned tick: audio front-end (energy, streaming log-mel
 * with causal normalisation), Silero VAD, face/lip tracking on new camera pictures and the early
 * audio-visual fusion, emitting one {@link FusedFrame} per {@link PerceptionFrame}.
 *
 * <p>One operator rather than four so that a tick costs one keyed-state read/write and no
 * serialisation between stages; the stages themselves are separate classes ({@link SileroVad},
 * {@link LipTracker}, {@link EarlyFusion}, {@link StreamingLogMel}) whose per-session state lives in
 * {@link PerceptionState}. Models are loaded once per operator instance and shared by all keys. Bad
 * input (wrong audio length, oversized, corrupt JPEG, non-finite samples, model errors) is counted,
 * skipped and logged once per session; it never fails the job.
 */
public class PerceptionFunction extends KeyedProcessFunction<String, PerceptionFrame, FusedFrame> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PerceptionFunction.class);

    /** Job accumulator: CPU time (ns) spent in this operator, summed over instances; for the cost benchmark. */
    public static final String CPU_NANOS_ACCUMULATOR = "perception.cpuNanos";

    /** Side output with the tick's log-mel frames (when {@link PerceptionConfig#logMelEnabled}). */
    public static final org.apache.flink.util.OutputTag<io.omnistream.operators.audio.TickLogMel> LOG_MEL =
            new org.apache.flink.util.OutputTag<>("log-mel", org.apache.flink.api.common.typeinfo.TypeInformation.of(io.omnistream.operators.audio.TickLogMel.class));

    private final PerceptionConfig config;

    private transient ValueState<PerceptionState> state;
    private transient SileroVad vad;
    private transient BlazeFaceDetector faceDetector;
    private transient LipTracker lipTracker;
    private transient EarlyFusion fusion;
    private transient LogMel logMel;
    private transient StreamingLogMel streamingLogMel;
    private transient Map<BadInput, Counter> badInput;
    private transient Counter frames;
    private transient Counter pictures;
    private transient org.apache.flink.api.common.accumulators.LongCounter cpuNanos;
    private transient java.lang.management.ThreadMXBean threads;

    public PerceptionFunction(PerceptionConfig config) {
        this.config = config;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        state = getRuntimeContext().getState(new ValueStateDescriptor<>("perception", PerceptionState.class));
        Path models = config.resolveModelsDir();
        vad = new SileroVad(ModelFiles.require(models, ModelFiles.SILERO_VAD), config.vadChunkSamples, config.vadContextSamples,
                config.sampleRate, config.onnxThreads);
        faceDetector = new BlazeFaceDetector(ModelFiles.require(models, ModelFiles.BLAZEFACE_FRONT), config.faceMinScore,
                config.faceNmsIou, config.onnxThreads);
        // Flink provides the parallelism; OpenCV's own thread pool would only oversubscribe the task slots
        org.bytedeco.opencv.global.opencv_core.setNumThreads(config.opencvThreads);
        lipTracker = new LipTracker(faceDetector, config);
        fusion = new EarlyFusion(config);
        if (config.logMelEnabled) {
            logMel = LogMels.create();
            streamingLogMel = new StreamingLogMel();
        }
        badInput = new EnumMap<>(BadInput.class);
        for (BadInput b : BadInput.values()) {
            badInput.put(b, getRuntimeContext().getMetricGroup().counter(b.counter));
        }
        frames = getRuntimeContext().getMetricGroup().counter("perceptionFrames");
        pictures = getRuntimeContext().getMetricGroup().counter("perceptionCameraPictures");
        cpuNanos = getRuntimeContext().getLongCounter(CPU_NANOS_ACCUMULATOR);
        threads = java.lang.management.ManagementFactory.getThreadMXBean();
    }

    /** Bad input of a kind counted by this instance (the Flink counter's value), for diagnostics and tests. */
    public long badInputCount(BadInput kind) {
        return badInput == null ? 0 : badInput.get(kind).getCount();
    }

    @Override
    public void close() throws Exception {
        if (logMel != null) {
            logMel.close();
        }
        if (faceDetector != null) {
            faceDetector.close();
        }
        if (vad != null) {
            vad.close();
        }
    }

    @Override
    public void processElement(PerceptionFrame frame, Context ctx, Collector<FusedFrame> out) throws Exception {
        long cpu0 = threads.getCurrentThreadCpuTime();
        PerceptionState st = state.value();
        if (st == null) {
            st = new PerceptionState();
        }
        FusedFrame f = new FusedFrame();
        f.sessionId = frame.getSessionId();
        f.tickIndex = frame.getTickIndex();
        f.tickStartMicros = frame.getTickStartMicros();
        f.tickEndMicros = frame.getTickEndMicros();
        f.alignEmitMicros = frame.getEmitTimeMicros();
        f.maxArrivalTimeMicros = frame.getMaxArrivalTimeMicros();
        frames.inc();

        float[] mel = processAudio(st, frame, f);
        if (mel != null) {
            io.omnistream.operators.audio.TickLogMel t = new io.omnistream.operators.audio.TickLogMel();
            t.sessionId = f.sessionId;
            t.tickIndex = f.tickIndex;
            t.tickStartMicros = f.tickStartMicros;
            t.tickEndMicros = f.tickEndMicros;
            t.frames = f.logMelFrames;
            t.logMel = mel;
            ctx.output(LOG_MEL, t);
        }
        processCamera(st, frame, f);

        f.perceivedMicros = wallMicros();
        state.update(st);
        cpuNanos.add(threads.getCurrentThreadCpuTime() - cpu0);
        out.collect(f);
    }

    /** Audio features of the tick into {@code f}; returns the tick's log-mel frames (or null). */
    private float[] processAudio(PerceptionState st, PerceptionFrame frame, FusedFrame f) {
        long tickMicros = frame.getTickEndMicros() - frame.getTickStartMicros();
        long expected = tickMicros * config.sampleRate / 1_000_000L;
        ByteBuffer audio = frame.getAudio();
        int bytes = audio == null ? 0 : audio.remaining();
        BadInput bad = null;
        if (bytes == 0 && expected > 0) {
            bad = BadInput.AUDIO_EMPTY;
        } else if (bytes / 2 > config.maxTickSamples) {
            bad = BadInput.AUDIO_OVERSIZED;
        } else if ((bytes & 1) != 0 || bytes / 2 != expected) {
            bad = BadInput.AUDIO_WRONG_LENGTH;
        }
        if (bad != null) {
            report(st, bad, frame, "audio of " + bytes + " bytes for a tick of " + tickMicros + " us (expected " + expected + " samples)");
            f.audioValid = false;
            f.energyDb = st.lastEnergyDb;
            f.vadProbability = st.lastVad;
            f.audioProbability = audioProbability(st.lastVad, st.lastEnergyDb);
            return null;
        }
        float[] x = Pcm16.toFloats(audio);
        if (Pcm16.sanitize(x) > 0) {
            report(st, BadInput.NON_FINITE, frame, "non-finite samples replaced by 0");
        }
        f.energyDb = Pcm16.energyDb(x);
        try {
            float p = vad.accept(st.vad, x, 0, x.length);
            if (p >= 0) {
                st.lastVad = p;
            }
        } catch (OrtException e) {
            report(st, BadInput.MODEL_ERROR, frame, "Silero VAD failed: " + e.getMessage());
        }
        st.lastEnergyDb = f.energyDb;
        f.vadProbability = st.lastVad;
        f.audioProbability = audioProbability(st.lastVad, f.energyDb);
        if (logMel == null) {
            return null;
        }
        streamingLogMel.restore(st.logMel);
        float[] mel = streamingLogMel.process(x, logMel);
        f.logMelFrames = mel.length / LogMel.N_MELS;
        st.logMel = streamingLogMel.state();
        return mel;
    }

    private float audioProbability(float vadProbability, float energyDb) {
        return energyDb < config.silenceDb ? 0f : vadProbability;
    }

    private void processCamera(PerceptionState st, PerceptionFrame frame, FusedFrame f) {
        VideoFrame cam = frame.getCamera();
        TrackState cs = frame.getCameraState();
        boolean usableTrack = cam != null && (cs == TrackState.OK || cs == TrackState.STALE)
                && frame.getTickEndMicros() - cam.getCaptureTimeMicros() <= config.maxCameraAgeMicros;
        if (!usableTrack) {
            if (cs == TrackState.ENDED || cs == TrackState.MISSING || cam == null) {
                st.lips.loseFace();
                st.lips.lastSeq = Long.MIN_VALUE;
            }
            fusion.fuse(st.fusion, f, false, false, 0f, 0f);
            return;
        }
        boolean newPicture = cam.getSeq() != st.lips.lastSeq;
        if (!newPicture) {
            fusion.fuse(st.fusion, f, st.lips.hasFace, false, 0f, 0f);
            return;
        }
        st.lips.lastSeq = cam.getSeq();
        st.lips.lastCaptureMicros = cam.getCaptureTimeMicros();
        pictures.inc();
        ByteBuffer jb = cam.getJpeg();
        byte[] jpeg = new byte[jb == null ? 0 : jb.remaining()];
        if (jb != null) {
            jb.duplicate().get(jpeg);
        }
        try {
            LipObservation o = lipTracker.observe(st.lips, jpeg);
            fusion.fuse(st.fusion, f, o.facePresent, true, o.motion, o.openness);
        } catch (LipTracker.BadPictureException e) {
            report(st, jpeg.length > config.maxJpegBytes ? BadInput.JPEG_OVERSIZED : BadInput.JPEG_CORRUPT, frame, e.getMessage());
            fusion.fuse(st.fusion, f, st.lips.hasFace, false, 0f, 0f);
        } catch (OrtException | RuntimeException e) {
            report(st, BadInput.MODEL_ERROR, frame, "face/lips failed: " + e);
            st.lips.loseFace();
            fusion.fuse(st.fusion, f, false, false, 0f, 0f);
        }
    }

    private void report(PerceptionState st, BadInput kind, PerceptionFrame frame, String what) {
        badInput.get(kind).inc();
        int bit = 1 << kind.ordinal();
        if ((st.loggedBadInput & bit) == 0) {
            st.loggedBadInput |= bit;
            LOG.warn("session {} tick {}: {} ({}); counted in {}, skipped; further ones of this kind are not logged for this session",
                    frame.getSessionId(), frame.getTickIndex(), kind, what, kind.counter);
        }
    }

    static long wallMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
}

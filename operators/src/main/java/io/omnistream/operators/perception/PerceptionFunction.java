package io.omnistream.operators.perception;

import ai.onnxruntime.OrtException;
import io.omnistream.gpu.logmel.LogMel;
import io.omnistream.gpu.logmel.LogMels;
import io.omnistream.gpu.logmel.StreamingLogMel;
import io.omnistream.operators.audio.Pcm16;
import io.omnistream.operators.face.BlazeFaceDetector;
import io.omnistream.operators.face.Face;
import io.omnistream.operators.face.LipObservation;
import io.omnistream.operators.face.LipTracker;
import io.omnistream.operators.fusion.EarlyFusion;
import io.omnistream.operators.fusion.FusedFrame;
import io.omnistream.operators.route.WorkCounter;
import io.omnistream.operators.vad.SileroVad;
import io.omnistream.schemas.DetectedFace;
import io.omnistream.schemas.FaceDetection;
import io.omnistream.schemas.FaceMode;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.RouteDecision;
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
 *
 * <p>It obeys the modality router's decision on the frame ({@code route}; null runs everything): VAD off
 * means the tick is silent (probability 0, as the fusion treats any tick below the silence level; the VAD restarts
 * from a fresh state after silence either way, {@link PerceptionConfig#vadRestartAfterSilenceMicros}, so a router
 * that skips it only in silence changes no probability); face
 * modes choose how often BlazeFace runs (every Nth picture, tracking only, or no camera work, in which case the
 * fusion sees the last face as still and unchanged). Buffers of a path that stayed off for long are released
 * and counted ({@code route.perception.*} counters and accumulators).
 *
 * <p>Upstream batched GPU stages may have done part of the work already, carried on the frame: the tick's VAD
 * probability ({@code vadProbability}, {@link io.omnistream.operators.gpu.BatchedVadOperator}) and the faces in its
 * camera picture ({@code faceDetection}, {@link io.omnistream.operators.gpu.BatchedFaceOperator}), which are then used
 * instead of this operator's own ONNX Runtime calls; the tracking between detections, the lip features and the fusion
 * are the same either way. A picture on which tracking is lost and that carries no upstream faces is still detected
 * here, as without the stage ({@code work.faceDetect.batched} counts the detections that came from upstream,
 * {@code work.faceDetect.cpu} those run here).
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
    private transient WorkCounter vadRun;
    private transient WorkCounter vadSkipped;
    private transient WorkCounter vadReleased;
    private transient WorkCounter vadPrimed;
    /** Silent chunks run through a fresh VAD state when the router switches the VAD back on. */
    private static final int VAD_PRIME_CHUNKS = 4;
    private transient WorkCounter faceDetections;
    /** Detections whose faces came from the batched BlazeFace stage, and those run here (together {@code work.faceDetect.run}). */
    private transient WorkCounter faceDetectionsBatched;
    private transient WorkCounter faceDetectionsCpu;
    private transient WorkCounter lipPictures;
    private transient WorkCounter lipPicturesSkipped;
    private transient WorkCounter faceReleased;

    private final long vadReleaseMicros;

    public PerceptionFunction(PerceptionConfig config) {
        this(config, io.omnistream.operators.route.RouteConfig.defaults());
    }

    /** With the routing settings whose buffer-release delays this operator applies to routed frames. */
    public PerceptionFunction(PerceptionConfig config, io.omnistream.operators.route.RouteConfig routing) {
        this.config = config;
        this.vadReleaseMicros = routing.vadReleaseAfterMicros;
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
        vadRun = work("work.vad.run");
        vadSkipped = work("work.vad.skipped");
        vadReleased = work("memory.vad.released");
        vadPrimed = work("work.vadPrime.run");
        faceDetections = work("work.faceDetect.run");
        faceDetectionsBatched = work("work.faceDetect.batched");
        faceDetectionsCpu = work("work.faceDetect.cpu");
        lipPictures = work("work.lips.run");
        lipPicturesSkipped = work("work.lips.skipped");
        faceReleased = work("memory.face.released");
    }

    private transient Map<String, WorkCounter> work;

    private WorkCounter work(String name) {
        if (work == null) {
            work = new java.util.HashMap<>();
        }
        return work.computeIfAbsent(name, k -> WorkCounter.register(getRuntimeContext(), k));
    }

    /** Routed work counted by this instance ({@code work.vad.run}, {@code work.lips.skipped}, ...), for tests and diagnostics. */
    public long workCount(String name) {
        WorkCounter c = work == null ? null : work.get(name);
        return c == null ? 0 : c.count();
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
        BadInput bad = audioProblem(frame, config);
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
        boolean restart = restartsVad(config, st.quietMicros, f.energyDb);
        st.quietMicros = quietAfter(config, st.quietMicros, f.energyDb, tickMicros);
        RouteDecision route = frame.getRoute();
        if (route != null && !route.getVad()) {
            // routed silent: treated as silence, the model's state is kept for the next loud tick (or released)
            vadSkipped.inc();
            st.lastVad = 0f;
            st.vadIdleMicros += tickMicros;
            if (st.vadIdleMicros >= vadReleaseMicros && st.vad.state != null) {
                st.vad = new io.omnistream.operators.vad.VadState();
                vadReleased.inc();
            }
        } else if (frame.getVadProbability() >= 0) {
            // computed upstream by the batched VAD stage (io.omnistream.operators.gpu.BatchedVadOperator), which keeps
            // the recurrent state and applies the same priming and release; counted as the same work
            vadRun.inc();
            if (restart || st.vadIdleMicros > 0) {
                vadPrimed.inc(VAD_PRIME_CHUNKS);
            }
            st.vadIdleMicros = 0;
            st.lastVad = frame.getVadProbability();
        } else {
            vadRun.inc();
            try {
                if (restart || st.vadIdleMicros > 0) {
                    // after silence (routed or not) the VAD starts from a fresh state primed with silent chunks: the same
                    // state whether it ran through the silence or the router skipped it (see vadRestartAfterSilenceMicros);
                    // a VAD switched back on without such a silence (a short gate or hangover) starts the same way
                    st.vad = new io.omnistream.operators.vad.VadState();
                    vad.accept(st.vad, new float[VAD_PRIME_CHUNKS * config.vadChunkSamples], 0, VAD_PRIME_CHUNKS * config.vadChunkSamples);
                    vadPrimed.inc(VAD_PRIME_CHUNKS);
                }
                st.vadIdleMicros = 0;
                float p = vad.accept(st.vad, x, 0, x.length);
                if (p >= 0) {
                    st.lastVad = p;
                }
            } catch (OrtException e) {
                report(st, BadInput.MODEL_ERROR, frame, "Silero VAD failed: " + e.getMessage());
            }
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

    /**
     * What is wrong with a frame's audio (the kind perception counts it as), or null when it is usable: present,
     * PCM16 of exactly the tick's length at {@link PerceptionConfig#sampleRate}, at most
     * {@link PerceptionConfig#maxTickSamples}. Shared with the batched VAD stage, which leaves such frames to this one.
     */
    public static BadInput audioProblem(PerceptionFrame frame, PerceptionConfig config) {
        long tickMicros = frame.getTickEndMicros() - frame.getTickStartMicros();
        long expected = tickMicros * config.sampleRate / 1_000_000L;
        ByteBuffer audio = frame.getAudio();
        int bytes = audio == null ? 0 : audio.remaining();
        if (bytes == 0 && expected > 0) {
            return BadInput.AUDIO_EMPTY;
        } else if (bytes / 2 > config.maxTickSamples) {
            return BadInput.AUDIO_OVERSIZED;
        } else if ((bytes & 1) != 0 || bytes / 2 != expected) {
            return BadInput.AUDIO_WRONG_LENGTH;
        }
        return null;
    }

    /** Silent chunks a fresh VAD state is primed with when the router switches the VAD back on. */
    public static int vadPrimeChunks() {
        return VAD_PRIME_CHUNKS;
    }

    /**
     * Whether the VAD restarts from a fresh, primed state before a tick of {@code energyDb} that follows
     * {@code quietMicros} of session time below the silence level ({@link PerceptionConfig#vadRestartAfterSilenceMicros}).
     * Shared with the batched VAD stage, which must apply the same rule for the same probabilities.
     */
    public static boolean restartsVad(PerceptionConfig config, long quietMicros, float energyDb) {
        return config.vadRestartAfterSilenceMicros > 0 && energyDb >= config.silenceDb && quietMicros >= config.vadRestartAfterSilenceMicros;
    }

    /** The silence run after a tick of {@code energyDb} lasting {@code tickMicros}, for {@link #restartsVad}. */
    public static long quietAfter(PerceptionConfig config, long quietMicros, float energyDb, long tickMicros) {
        return energyDb >= config.silenceDb ? 0 : saturatingAdd(quietMicros, tickMicros);
    }

    private static long saturatingAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
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
                if (st.lips.template != null || st.lips.prevMouth != null) {
                    faceReleased.inc(); // camera gone: the face/lip buffers are dropped
                }
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
        RouteDecision route = frame.getRoute();
        if (route != null && (route.getFaceMode() == FaceMode.OFF || !route.getLipFeatures())) {
            // routed off: the picture is not even decoded; the fusion sees the last face, still and unchanged
            if (cam.getSeq() != st.skippedPictureSeq) {
                st.skippedPictureSeq = cam.getSeq();
                lipPicturesSkipped.inc();
            }
            st.faceIdleMicros += frame.getTickEndMicros() - frame.getTickStartMicros();
            fusion.fuse(st.fusion, f, st.lips.hasFace, false, 0f, 0f);
            return;
        }
        st.faceIdleMicros = 0;
        st.lips.lastSeq = cam.getSeq();
        st.lips.lastCaptureMicros = cam.getCaptureTimeMicros();
        pictures.inc();
        ByteBuffer jb = cam.getJpeg();
        byte[] jpeg = new byte[jb == null ? 0 : jb.remaining()];
        if (jb != null) {
            jb.duplicate().get(jpeg);
        }
        lipPictures.inc();
        long detectionsBefore = st.lips.detections;
        long detectorRunsBefore = lipTracker.detectorRuns();
        try {
            LipObservation o;
            java.util.List<Face> upstream = upstreamFaces(frame, cam);
            if (route == null) {
                o = lipTracker.observe(st.lips, jpeg, config.detectEveryNthFrame, true, upstream);
            } else {
                FaceMode mode = route.getFaceMode();
                int every = mode == FaceMode.EVERY_FRAME ? 1 : Math.max(1, route.getFaceEveryN());
                o = lipTracker.observe(st.lips, jpeg, every, mode != FaceMode.TRACK_ONLY, upstream);
            }
            long detections = st.lips.detections - detectionsBefore;
            long onCpu = lipTracker.detectorRuns() - detectorRunsBefore;
            faceDetections.inc(detections);
            faceDetectionsCpu.inc(onCpu);
            faceDetectionsBatched.inc(detections - onCpu);
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

    /**
     * The faces the batched BlazeFace stage ({@code io.omnistream.operators.gpu.BatchedFaceOperator}) found in this
     * frame's camera picture, in picture pixels; null when it did not run on this very picture.
     */
    static java.util.List<Face> upstreamFaces(PerceptionFrame frame, VideoFrame cam) {
        FaceDetection d = frame.getFaceDetection();
        if (d == null || d.getPictureSeq() != cam.getSeq()) {
            return null;
        }
        java.util.List<Face> faces = new java.util.ArrayList<>(d.getFaces().size());
        for (DetectedFace f : d.getFaces()) {
            java.util.List<Float> k = f.getKeypoints();
            if (k.size() != 12) {
                return null; // not BlazeFace's six keypoints: detect here instead
            }
            float[] kp = new float[12];
            for (int i = 0; i < 12; i++) {
                kp[i] = k.get(i);
            }
            faces.add(new Face(f.getX(), f.getY(), f.getWidth(), f.getHeight(), f.getScore(), kp));
        }
        return faces;
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

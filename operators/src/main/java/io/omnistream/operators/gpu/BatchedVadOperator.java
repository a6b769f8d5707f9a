package io.omnistream.operators.gpu;

import io.omnistream.gpu.encoders.Encoders;
import io.omnistream.gpu.encoders.vad.SileroVadEncoder;
import io.omnistream.gpu.encoders.vad.SileroVadTwin;
import io.omnistream.gpu.encoders.vad.SileroVadWeights;
import io.omnistream.gpu.encoders.vad.VadStreams;
import io.omnistream.operators.audio.Pcm16;
import io.omnistream.operators.perception.ModelFiles;
import io.omnistream.operators.perception.PerceptionConfig;
import io.omnistream.operators.perception.PerceptionFunction;
import io.omnistream.operators.route.RouteConfig;
import io.omnistream.operators.route.WorkCounter;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.RouteDecision;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;

/**
 * The Silero VAD of all sessions of a subtask, batched: placed on the session-keyed stream between the modality
 * router and perception, it collects the frames of every session for a short window ({@link GpuBatchConfig} of
 * {@link GpuStagesConfig#vadBatch}), steps all their 32 ms chunks together through {@link VadStreams} on one
 * {@link SileroVadEncoder} ({@link Encoders#sileroVad}: CUDA when a GPU is present, the exact Java twin otherwise),
 * and forwards each frame with {@code vadProbability} set, in arrival order. {@link PerceptionFunction} then uses that
 * probability instead of one ONNX Runtime call per session and tick.
 *
 * <p>It exists because the per-session VAD is where the perception CPU goes at hundreds of sessions; the semantics are
 * exactly perception's own, so the decisions do not change: the recurrent state lives in keyed state
 * ({@link SessionVad}, restored exactly after a failover); a frame the router sent without VAD is skipped (the tick
 * is silence, probability 0) and counts towards releasing the state after {@link RouteConfig#vadReleaseAfterMicros};
 * when the VAD is switched back on after routed silence, or after silence at all
 * ({@link PerceptionConfig#vadRestartAfterSilenceMicros}, {@link PerceptionFunction#restartsVad}), the session starts
 * from a fresh state primed with {@link PerceptionFunction#vadPrimeChunks()} silent chunks. A frame whose audio perception would reject
 * ({@link PerceptionFunction#audioProblem}) passes through without a probability, so perception reports it as
 * always, and the rest of the batch is unaffected; such pass-throughs are counted in {@code gpu.vadFallbacks}.
 *
 * <p>The encoder keeps each session's recurrent state in a slot of its own between batches
 * ({@link io.omnistream.gpu.encoders.vad.ResidentSileroVad}; on a GPU the state stays in device memory and a batch moves
 * only the new audio up and the probabilities down). Keyed state stays the truth for checkpoints: a session's slot is
 * set from it on first use after a start or restore, set afresh when the session restarts or is released, and copied
 * back into it in {@link #prepareSnapshotPreBarrier} after the last batch before the barrier.
 *
 * <p>Batches run when full, after the wait, before every checkpoint barrier and at end of input
 * ({@link AbstractGpuBatchOperator}), so no frame is lost or reordered across a checkpoint. A session with several
 * frames in one batch is stepped in rounds (its k-th frame in round k), since its chunks depend on each other.
 */
public final class BatchedVadOperator
        extends AbstractGpuBatchOperator<PerceptionFrame, BatchedVadOperator.Prepared, PerceptionFrame> {

    private static final long serialVersionUID = 1L;

    /** One session's batched-VAD state in Flink keyed state. */
    public static final class SessionVad {
        /** The model's state; null before the first chunk and after a release. */
        public VadStreams.State vad;
        /** Routed-silent time since the VAD last ran. */
        public long idleMicros;
        /** The probability reported for the session's last tick (0 after routed silence), as perception keeps it. */
        public float lastVad;
        /** Session time below the silence level in a row, for perception's VAD restart rule ({@link PerceptionFunction#restartsVad}). */
        public long quietMicros = Long.MAX_VALUE;

        public SessionVad() {}
    }

    /**
     * A frame with its decoded samples and their level; {@code samples == null} for frames that pass through unchanged
     * (bad audio) and for routed-off ones (whose level still counts towards the VAD restart after silence).
     */
    static final class Prepared {
        final PerceptionFrame frame;
        final float[] samples;
        final boolean routedOff;
        final float energyDb;

        Prepared(PerceptionFrame frame, float[] samples, boolean routedOff, float energyDb) {
            this.frame = frame;
            this.samples = samples;
            this.routedOff = routedOff;
            this.energyDb = energyDb;
        }
    }

    private final PerceptionConfig perception;
    private final long releaseMicros;

    private transient SileroVadEncoder encoder;
    private transient VadStreams streams;
    private transient ValueState<SessionVad> state;
    private transient boolean usable;
    private transient Counter fallbacks;
    private transient Counter chunks;
    private transient WorkCounter released;
    /** Resident mode: each session's slot in the encoder, free slots, and sessions whose slot is newer than keyed state. */
    private transient Map<Object, Integer> slotOf;
    private transient ArrayDeque<Integer> freeSlots;
    private transient int nextSlot;
    private transient Set<Object> unsaved;

    /**
     * @param perception the perception settings (models folder, sample rate, tick limits; the VAD must be Silero's
     *                   512-sample chunks with 64 samples of context at 16 kHz, else every frame is left to perception)
     * @param routing    the release delay of a routed-off VAD
     * @param batch      when a batch runs
     */
    public BatchedVadOperator(PerceptionConfig perception, RouteConfig routing, GpuBatchConfig batch) {
        super(batch);
        this.perception = perception;
        this.releaseMicros = routing.vadReleaseAfterMicros;
    }

    /** Adds the operator to routed frames keyed by session id; the output is the same frames, VAD attached. */
    public static SingleOutputStreamOperator<PerceptionFrame> apply(KeyedStream<PerceptionFrame, String> frames,
            PerceptionConfig perception, RouteConfig routing, GpuBatchConfig batch) {
        return frames.transform("gpu: Silero VAD batched across sessions", new AvroTypeInfo<>(PerceptionFrame.class),
                new BatchedVadOperator(perception, routing, batch));
    }

    @Override
    protected void openKernel() throws Exception {
        state = getPartitionedState(new ValueStateDescriptor<>("batchedVad", TypeInformation.of(SessionVad.class)));
        fallbacks = getMetricGroup().addGroup("gpu").counter("vadFallbacks");
        chunks = getMetricGroup().addGroup("gpu").counter("vadChunks");
        released = WorkCounter.register(getRuntimeContext(), "memory.vad.released");
        usable = perception.sampleRate == SileroVadEncoder.SAMPLE_RATE && perception.vadChunkSamples == SileroVadEncoder.CHUNK
                && perception.vadContextSamples == SileroVadEncoder.CONTEXT;
        if (!usable) {
            LOG.warn("batched VAD off: it needs {} Hz, {}-sample chunks and {} context samples, perception is set to {} Hz, {}, {};"
                    + " perception runs its own VAD", SileroVadEncoder.SAMPLE_RATE, SileroVadEncoder.CHUNK,
                    SileroVadEncoder.CONTEXT, perception.sampleRate, perception.vadChunkSamples, perception.vadContextSamples);
            return;
        }
        SileroVadWeights weights = SileroVadWeights.load(
                ModelFiles.require(perception.resolveModelsDir(), ModelFiles.SILERO_VAD));
        encoder = config.useGpu ? Encoders.sileroVad(weights) : new SileroVadTwin(weights);
        streams = new VadStreams(encoder);
        slotOf = new HashMap<>();
        freeSlots = new ArrayDeque<>();
        unsaved = new LinkedHashSet<>();
        getMetricGroup().addGroup("gpu").gauge("vadResidentSessions", this::residentSessions);
    }

    /** Frames left to perception's own VAD (bad audio, or a VAD configuration the encoder does not implement). */
    public long fallbackCount() {
        return fallbacks == null ? 0 : fallbacks.getCount();
    }

    /** Sessions whose VAD state was released after long routed silence ({@code memory.vad.released}). */
    public long releasedCount() {
        return released == null ? 0 : released.count();
    }

    @Override
    protected boolean kernelOnGpu() {
        return encoder != null && encoder.onGpu();
    }

    @Override
    protected void closeKernel() {
        if (encoder != null) {
            encoder.close();
            encoder = null;
        }
    }

    @Override
    protected Prepared prepare(PerceptionFrame frame) {
        if (!usable || PerceptionFunction.audioProblem(frame, perception) != null) {
            return new Prepared(frame, null, false, Float.NaN);
        }
        float[] x = Pcm16.toFloats(frame.getAudio());
        Pcm16.sanitize(x); // as perception does (it counts them)
        float energyDb = Pcm16.energyDb(x);
        RouteDecision route = frame.getRoute();
        if (route != null && !route.getVad()) {
            return new Prepared(frame, null, true, energyDb);
        }
        return new Prepared(frame, x, false, energyDb);
    }

    @Override
    protected void runBatch(int group, List<Pending<Prepared>> batch) throws Exception {
        // each session's frames in arrival order, and its state read once
        Map<Object, List<Integer>> framesOf = new LinkedHashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            framesOf.computeIfAbsent(batch.get(i).key, k -> new ArrayList<>()).add(i);
        }
        Map<Object, SessionVad> sessions = new LinkedHashMap<>();
        int rounds = 0;
        for (Map.Entry<Object, List<Integer>> e : framesOf.entrySet()) {
            setCurrentKey(e.getKey());
            SessionVad s = state.value();
            sessions.put(e.getKey(), s == null ? new SessionVad() : s);
            rounds = Math.max(rounds, e.getValue().size());
        }
        Set<Object> changed = new LinkedHashSet<>();
        float[] probability = new float[batch.size()];
        java.util.Arrays.fill(probability, -1f);
        int primeChunks = PerceptionFunction.vadPrimeChunks();
        float[] prime = new float[primeChunks * SileroVadEncoder.CHUNK];
        List<VadStreams.State> states = new ArrayList<>();
        List<float[]> samples = new ArrayList<>();
        List<Integer> rows = new ArrayList<>();
        List<Boolean> primed = new ArrayList<>();
        List<Object> keys = new ArrayList<>();
        List<Object> loadKeys = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            states.clear();
            samples.clear();
            rows.clear();
            primed.clear();
            keys.clear();
            loadKeys.clear();
            for (Map.Entry<Object, List<Integer>> e : framesOf.entrySet()) {
                if (e.getValue().size() <= round) {
                    continue;
                }
                int i = e.getValue().get(round);
                Prepared p = batch.get(i).value;
                SessionVad s = sessions.get(e.getKey());
                boolean restart = false;
                if (p.routedOff || p.samples != null) {
                    // perception's restart after silence, on the same levels, routed or not
                    long tickMicros = p.frame.getTickEndMicros() - p.frame.getTickStartMicros();
                    restart = PerceptionFunction.restartsVad(perception, s.quietMicros, p.energyDb);
                    s.quietMicros = PerceptionFunction.quietAfter(perception, s.quietMicros, p.energyDb, tickMicros);
                    changed.add(e.getKey());
                }
                if (p.routedOff) {
                    // the tick is silence; the state waits for the next loud tick, or goes after long routed silence
                    s.lastVad = 0f;
                    s.idleMicros += p.frame.getTickEndMicros() - p.frame.getTickStartMicros();
                    if (s.idleMicros >= releaseMicros && s.vad != null) {
                        s.vad = null;
                        releaseSlot(e.getKey());
                        released.inc();
                    }
                    changed.add(e.getKey());
                    continue;
                }
                if (p.samples == null) {
                    fallbacks.inc();
                    continue;
                }
                boolean prim = restart || s.idleMicros > 0;
                boolean fresh = prim || s.vad == null;
                if (fresh) {
                    // back from routed silence: start from the state a run of silence leads to, as perception does
                    s.vad = new VadStreams.State();
                }
                if (fresh || !slotOf.containsKey(e.getKey())) {
                    // a new or restarted session, or the first frame of a restored one: its state goes into its slot
                    loadKeys.add(e.getKey());
                }
                float[] x = p.samples;
                if (prim) {
                    x = new float[prime.length + p.samples.length];
                    System.arraycopy(p.samples, 0, x, prime.length, p.samples.length);
                }
                s.idleMicros = 0;
                changed.add(e.getKey());
                states.add(s.vad);
                samples.add(x);
                rows.add(i);
                primed.add(prim);
                keys.add(e.getKey());
            }
            if (states.isEmpty()) {
                continue;
            }
            float[][] out = step(keys, loadKeys, sessions, states, samples);
            for (int r = 0; r < out.length; r++) {
                int i = rows.get(r);
                SessionVad s = sessions.get(batch.get(i).key);
                int skip = primed.get(r) ? primeChunks : 0;
                chunks.inc(out[r].length);
                if (out[r].length > skip) {
                    s.lastVad = out[r][out[r].length - 1];
                }
                probability[i] = s.lastVad;
            }
        }
        for (Object key : changed) {
            setCurrentKey(key);
            state.update(sessions.get(key));
        }
        for (int i = 0; i < batch.size(); i++) {
            Pending<Prepared> p = batch.get(i);
            PerceptionFrame f = p.value.frame;
            if (probability[i] >= 0) {
                f.setVadProbability(probability[i]); // records are not shared between operators (no object reuse)
            }
            emit(p, f);
        }
    }

    /**
     * One round through the encoder. A resident encoder keeps each session's recurrent state in a slot between
     * batches (only the new audio goes in); {@code loadKeys} are sessions whose slot must first be set from their
     * keyed state: new, restarted after routed silence, or seen for the first time since a restore.
     */
    private float[][] step(List<Object> keys, List<Object> loadKeys, Map<Object, SessionVad> sessions,
            List<VadStreams.State> states, List<float[]> samples) {
        VadStreams.State[] st = states.toArray(new VadStreams.State[0]);
        float[][] x = samples.toArray(new float[0][]);
        if (!streams.resident()) {
            return streams.process(st, x);
        }
        if (!loadKeys.isEmpty()) {
            int[] load = new int[loadKeys.size()];
            VadStreams.State[] from = new VadStreams.State[load.length];
            for (int j = 0; j < load.length; j++) {
                load[j] = slotFor(loadKeys.get(j));
                from[j] = sessions.get(loadKeys.get(j)).vad;
            }
            streams.load(load, from);
        }
        int[] slots = new int[keys.size()];
        for (int j = 0; j < slots.length; j++) {
            slots[j] = slotOf.get(keys.get(j));
            unsaved.add(keys.get(j));
        }
        return streams.processResident(slots, st, x);
    }

    private int slotFor(Object key) {
        Integer slot = slotOf.get(key);
        if (slot == null) {
            slot = freeSlots.isEmpty() ? nextSlot++ : freeSlots.pop();
            slotOf.put(key, slot);
        }
        return slot;
    }

    private void releaseSlot(Object key) {
        Integer slot = slotOf.remove(key);
        if (slot != null) {
            freeSlots.push(slot);
        }
        unsaved.remove(key);
    }

    /** Sessions resident in the encoder (for tests and the {@code gpu.vadResidentSessions} gauge). */
    public int residentSessions() {
        return slotOf == null ? 0 : slotOf.size();
    }

    /**
     * After the base class has run every pending batch, the resident sessions' recurrent state is copied out of the
     * encoder into keyed state, so the checkpoint holds exactly what the encoder holds.
     */
    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        if (unsaved == null || unsaved.isEmpty()) {
            return;
        }
        Object keyBefore = getCurrentKey();
        List<Object> keys = new ArrayList<>(unsaved);
        int[] slots = new int[keys.size()];
        SessionVad[] vads = new SessionVad[keys.size()];
        VadStreams.State[] into = new VadStreams.State[keys.size()];
        for (int j = 0; j < slots.length; j++) {
            setCurrentKey(keys.get(j));
            vads[j] = state.value();
            slots[j] = slotOf.get(keys.get(j));
            into[j] = vads[j].vad;
        }
        streams.save(slots, into);
        for (int j = 0; j < slots.length; j++) {
            setCurrentKey(keys.get(j));
            state.update(vads[j]);
        }
        unsaved.clear();
        if (keyBefore != null) {
            setCurrentKey(keyBefore);
        }
    }
}

package io.omnistream.operators.gpu;

import io.omnistream.gpu.Kernels;
import io.omnistream.gpu.logmel.LogMel;
import io.omnistream.gpu.logmel.StreamingLogMel;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.MediaKind;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * The batched audio front-end: on a stream of audio {@link MediaChunk}s keyed by session, frames each session's
 * PCM with its {@link StreamingLogMel} (tail and running maximum in Flink keyed state), computes the frames of
 * every session that arrived within the batching window in one {@link LogMel} call (GPU when present, else the
 * twin), then normalises each session's slice in order. Chunks too short to complete a frame still emit (with
 * zero frames) so downstream sees every chunk.
 */
public final class LogMelBatchOperator extends AbstractGpuBatchOperator<MediaChunk, LogMelBatchOperator.Framed, LogMelFeatures> {

    private static final long serialVersionUID = 1L;

    /** A chunk framed in its session's context, waiting for the batch. */
    static final class Framed {
        final MediaChunk chunk;
        final float[] frames;
        final int n;

        Framed(MediaChunk chunk, float[] frames, int n) {
            this.chunk = chunk;
            this.frames = frames;
            this.n = n;
        }
    }

    private transient LogMel logMel;
    private transient StreamingLogMel session;
    private transient ValueState<StreamingLogMel.State> state;
    private transient float[] frames;
    private transient float[] mel;
    private transient float[] energy;

    public LogMelBatchOperator(GpuBatchConfig config) {
        super(config);
    }

    /** Adds the operator to a stream of audio chunks keyed by session id. */
    public static SingleOutputStreamOperator<LogMelFeatures> apply(KeyedStream<MediaChunk, String> audio, GpuBatchConfig config) {
        return audio.transform("gpu-log-mel", TypeInformation.of(LogMelFeatures.class), new LogMelBatchOperator(config));
    }

    @Override
    protected void openKernel() throws Exception {
        frames = new float[0];
        mel = new float[0];
        energy = new float[0];
        logMel = Kernels.logMel();
        session = new StreamingLogMel();
        state = getPartitionedState(new ValueStateDescriptor<>("logMelSession", TypeInformation.of(StreamingLogMel.State.class)));
    }

    @Override
    protected boolean kernelOnGpu() {
        return logMel != null && logMel.onGpu();
    }

    @Override
    protected void closeKernel() {
        if (logMel != null) {
            logMel.close();
        }
    }

    @Override
    protected int batchGroup(MediaChunk element) {
        return 0;
    }

    @Override
    protected Framed prepare(MediaChunk c) throws Exception {
        if (c.getKind() != MediaKind.AUDIO) {
            throw new IllegalArgumentException("not audio: " + c.getKind());
        }
        if (c.getSampleRate() != 0 && c.getSampleRate() != LogMel.SAMPLE_RATE) {
            throw new IllegalArgumentException("sample rate " + c.getSampleRate() + " != 16000");
        }
        ByteBuffer payload = c.getPayload().duplicate();
        if ((payload.remaining() & 1) != 0) {
            throw new IllegalArgumentException("odd PCM16 payload length " + payload.remaining());
        }
        byte[] pcm = new byte[payload.remaining()];
        payload.get(pcm);
        StreamingLogMel.State s = state.value();
        session.restore(s == null ? new StreamingLogMel.State() : s);
        int n = session.framesFor(pcm.length / 2);
        float[] f = new float[n * LogMel.N_FFT];
        session.appendPcm16Le(pcm, 0, pcm.length, f, 0);
        state.update(session.state());
        return new Framed(c, f, n);
    }

    @Override
    protected void runBatch(int group, List<Pending<Framed>> batch) throws Exception {
        int total = 0;
        for (Pending<Framed> p : batch) {
            total += p.value.n;
        }
        if (frames.length < total * LogMel.N_FFT) {
            frames = new float[total * LogMel.N_FFT];
            mel = new float[total * LogMel.N_MELS];
            energy = new float[total];
        }
        int at = 0;
        for (Pending<Framed> p : batch) {
            System.arraycopy(p.value.frames, 0, frames, at * LogMel.N_FFT, p.value.n * LogMel.N_FFT);
            at += p.value.n;
        }
        logMel.compute(frames, total, mel, energy);
        at = 0;
        for (Pending<Framed> p : batch) {
            setCurrentKey(p.key);
            session.restore(state.value());
            int n = p.value.n;
            session.normalise(mel, at, n);
            state.update(session.state());
            LogMelFeatures out = new LogMelFeatures();
            out.sessionId = p.value.chunk.getSessionId().toString();
            out.seq = p.value.chunk.getSeq();
            out.captureTimeMicros = p.value.chunk.getCaptureTimeMicros();
            out.frames = n;
            out.logMel = java.util.Arrays.copyOfRange(mel, at * LogMel.N_MELS, (at + n) * LogMel.N_MELS);
            out.energy = java.util.Arrays.copyOfRange(energy, at, at + n);
            out.gpu = logMel.onGpu();
            emit(p, out);
            at += n;
        }
    }
}

package io.omnistream.operators.vad;

/**
 * Per-session Silero VAD state kept in Flink keyed state: the model's recurrent state, the 64-sample
 * context and the samples of a not yet complete 512-sample chunk. A POJO so Flink serialises it
 * with its POJO serializer and checkpoints carry it.
 */
public class VadState {
    public float[] state;
    public float[] context;
    public float[] pending;
    public int pendingCount;
    public float lastProbability;
    public long chunks;

    public VadState() {}

    void ensureSized(int chunk, int contextSamples) {
        if (state == null || pending == null || pending.length != chunk || context == null || context.length != contextSamples) {
            reset(chunk, contextSamples);
        }
    }

    void reset(int chunk, int contextSamples) {
        state = new float[SileroVad.STATE_SIZE];
        context = new float[contextSamples];
        pending = new float[chunk];
        pendingCount = 0;
        lastProbability = 0f;
    }
}

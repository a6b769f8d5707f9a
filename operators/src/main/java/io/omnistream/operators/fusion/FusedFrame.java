package io.omnistream.operators.fusion;

/**
 * The early audio-visual fusion result of one aligned tick of one session: the per-modality
 * features and the fused decisions turn-taking needs. Also the "fused features" stream offered to
 * analytics. A POJO (public fields, no-arg constructor) so Flink serialises it efficiently.
 */
public class FusedFrame {
    public String sessionId;
    public long tickIndex;
    public long tickStartMicros;
    public long tickEndMicros;
    /** RMS energy of the tick in dBFS (-100 for silence). */
    public float energyDb;
    /** Silero VAD v5 probability of the newest 32 ms chunk (held when no chunk completed this tick). */
    public float vadProbability;
    /** Audio-only speech probability (VAD gated by energy): what the audio-only baseline uses. */
    public float audioProbability;
    /** False when the tick's audio was rejected (bad length, oversized) and the audio values are held. */
    public boolean audioValid = true;
    /** The tick's energy fell {@code dropDb} below the session's recent speech peak (or under the silence level): the audio dropped. */
    public boolean audioDropped;
    /** A fresh camera picture with a tracked main face is available. */
    public boolean faceUsable;
    public float lipMotion;
    public float lipOpenness;
    /** Openness above the session's closed-lips baseline. */
    public float lipOpenDelta;
    /** 0..1: recent lip movement relative to the configured threshold. */
    public float lipActivity;
    /** Lips closed and still over the last ~100 ms (only meaningful when faceUsable). */
    public boolean lipsClosed;
    /** Best lag-compensated correlation of lip openness with the audio envelope over the window, -1..1. */
    public float avCorrelation;
    /** Lag (video relative to audio, micros) at the best correlation: the estimated A/V offset. */
    public long avLagMicros;
    /** Fraction of the correlation window with a usable face. */
    public float correlationCoverage;
    /** P(on-camera customer speaking): audio evidence weighted by lip evidence when a face is usable. */
    public float speakingProbability;
    /** Speech present that does not come from the on-camera customer (face visible, lips not moving with it). */
    public boolean backgroundSpeech;
    /** Aligner's emit wall time of the frame (epoch micros), for the latency trace. */
    public long alignEmitMicros;
    /** Wall time when perception finished this tick (epoch micros). */
    public long perceivedMicros;
    /** Latest edge arrival time of the tick's media (epoch micros). */
    public long maxArrivalTimeMicros;
    /** Log-mel frames this tick completed (the values go to the {@code PerceptionFunction#LOG_MEL} side output). */
    public int logMelFrames;

    public FusedFrame() {}

    public long tickMicros() {
        return tickEndMicros - tickStartMicros;
    }

    @Override
    public String toString() {
        return String.format("Fused[%s #%d e=%.1f drop=%s vad=%.2f face=%s mot=%.1f open=%.2f act=%.2f closed=%s corr=%.2f lag=%d p=%.2f bg=%s]",
                sessionId, tickIndex, energyDb, audioDropped, vadProbability, faceUsable, lipMotion, lipOpenDelta, lipActivity, lipsClosed,
                avCorrelation, avLagMicros, speakingProbability, backgroundSpeech);
    }
}

package io.omnistream.gpu.logmel;

/**
 * The project's one definition of the audio front-end features: Whisper / Qwen3-Omni style 128-bin log-mel
 * spectra of 16 kHz audio, made causal for streaming. It exists so that the perception operators, the GPU kernel
 * and its Java twin all compute exactly the same thing.
 *
 * <p>Per frame of {@link #N_FFT} samples (no centre padding; the caller frames the stream, see
 * {@link StreamingLogMel}): periodic Hann window, power spectrum {@code |rfft|^2} ({@value #N_FREQS} bins),
 * {@value #N_MELS} Slaney mel filters over 0–8000 Hz with Slaney area normalisation (librosa / Whisper
 * {@code mel_filters}, torchaudio {@code melscale_fbanks(norm="slaney", mel_scale="slaney")}), then
 * {@code log10(max(mel, 1e-10))}. The frame energy is the mean square of the frame's raw samples.
 *
 * <p>Implementations are stateless and batched: one call computes many sessions' frames, so one GPU launch
 * serves every session of an operator instance. Implementations need not be thread-safe.
 */
public interface LogMel extends AutoCloseable {

    int SAMPLE_RATE = 16_000;
    int N_FFT = 400;
    int HOP = 160;
    int N_FREQS = N_FFT / 2 + 1;
    int N_MELS = 128;
    float LOG_FLOOR = 1e-10f;

    /**
     * Computes log-mel spectra and energies of {@code nFrames} frames.
     *
     * @param frames    {@code nFrames * N_FFT} samples (float, nominally in [-1, 1]), frame after frame
     * @param nFrames   number of frames, may be 0
     * @param logMelOut receives {@code nFrames * N_MELS} values, frame after frame
     * @param energyOut receives {@code nFrames} mean squares, or {@code null} when not wanted
     */
    void compute(float[] frames, int nFrames, float[] logMelOut, float[] energyOut);

    /** Whether this implementation runs on a GPU. */
    default boolean onGpu() {
        return false;
    }

    @Override
    default void close() {}

    /** Checks array sizes; shared by implementations so bad input fails the same way everywhere. */
    static void checkArgs(float[] frames, int nFrames, float[] logMelOut, float[] energyOut) {
        if (nFrames < 0) {
            throw new IllegalArgumentException("nFrames < 0: " + nFrames);
        }
        if (frames.length < (long) nFrames * N_FFT) {
            throw new IllegalArgumentException("frames holds " + frames.length + " samples, need " + (long) nFrames * N_FFT);
        }
        if (logMelOut.length < (long) nFrames * N_MELS) {
            throw new IllegalArgumentException("logMelOut holds " + logMelOut.length + ", need " + (long) nFrames * N_MELS);
        }
        if (energyOut != null && energyOut.length < nFrames) {
            throw new IllegalArgumentException("energyOut holds " + energyOut.length + ", need " + nFrames);
        }
    }
}

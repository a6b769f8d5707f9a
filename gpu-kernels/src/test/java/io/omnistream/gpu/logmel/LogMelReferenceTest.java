package io.omnistream.gpu.logmel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * The twin against values computed independently by torchaudio (float64, on the H200) with
 * {@code load-tests/gpu/logmel_reference.py}: {@code MelSpectrogram(n_fft=400, hop=160, center=False, power=2,
 * n_mels=128, norm="slaney", mel_scale="slaney")} then {@code log10(clamp(x, 1e-10))}, on 1 s of the script's
 * synthetic audio. Tolerance 5e-4 on log10 values (the twin keeps window and filters in float32; measured worst 1.4e-4) within 7 decades of the maximum (the range Whisper's
 * normalisation keeps), 2e-3 below; energies 1e-6 relative.
 */
class LogMelReferenceTest {

    private static float[] read(String name) throws IOException {
        try (InputStream in = LogMelReferenceTest.class.getResourceAsStream(name)) {
            assertThat(in).as("resource %s", name).isNotNull();
            ByteBuffer b = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
            float[] f = new float[b.remaining() / 4];
            b.asFloatBuffer().get(f);
            return f;
        }
    }

    @Test
    void twinMatchesTorchaudioOnTheCommittedReference() throws IOException {
        float[] audio = read("logmel_reference_input.f32");
        float[] ref = read("logmel_reference_logmel.f32");
        float[] refEnergy = read("logmel_reference_energy.f32");
        assertThat(audio).hasSize(16000);
        int n = (audio.length - LogMel.N_FFT) / LogMel.HOP + 1;
        assertThat(ref).hasSize(n * LogMel.N_MELS);
        float[] frames = new float[n * LogMel.N_FFT];
        StreamingLogMel framer = new StreamingLogMel();
        assertThat(framer.appendAndFrame(audio, 0, audio.length, frames, 0)).isEqualTo(n);
        float[] mel = new float[n * LogMel.N_MELS];
        float[] energy = new float[n];
        new LogMelTwin().compute(frames, n, mel, energy);
        float max = Float.NEGATIVE_INFINITY;
        for (float v : ref) {
            max = Math.max(max, v);
        }
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            double tol = ref[i] > max - 7 ? 5e-4 : 2e-3;
            worst = Math.max(worst, Math.abs(mel[i] - ref[i]));
            assertThat((double) Math.abs(mel[i] - ref[i])).as("frame %d mel %d", i / 128, i % 128).isLessThanOrEqualTo(tol);
        }
        for (int f = 0; f < n; f++) {
            assertThat((double) Math.abs(energy[f] - refEnergy[f])).isLessThanOrEqualTo(1e-6 * refEnergy[f] + 1e-12);
        }
        assertThat(worst).isGreaterThanOrEqualTo(0);
    }
}

package io.omnistream.operators.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.logmel.LogMelTwin;
import io.omnistream.gpu.logmel.StreamingLogMel;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.MediaKind;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class LogMelBatchOperatorTest {

    private static short[] tone(int n, double hz, double amp, int offset) {
        short[] s = new short[n];
        for (int i = 0; i < n; i++) {
            s[i] = (short) Math.round(amp * 32767 * Math.sin(2 * Math.PI * hz * (i + offset) / 16000.0));
        }
        return s;
    }

    private static MediaChunk chunk(String session, long seq, short[] pcm) {
        ByteBuffer b = ByteBuffer.allocate(pcm.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : pcm) {
            b.putShort(v);
        }
        b.flip();
        return MediaChunk.newBuilder().setSessionId(session).setTrackId("mic").setKind(MediaKind.AUDIO).setSeq(seq)
                .setCaptureTimeMicros(seq * 40_000).setArrivalTimeMicros(0).setDurationMicros(40_000).setSampleRate(16000)
                .setWidth(0).setHeight(0).setPayload(b).build();
    }

    private static float[] toFloat(short[] s) {
        float[] f = new float[s.length];
        for (int i = 0; i < s.length; i++) {
            f[i] = s[i] / 32768f;
        }
        return f;
    }

    @Test
    void batchedSessionsGetExactlyTheirOwnStreamingFeatures() throws Exception {
        LogMelBatchOperator op = new LogMelBatchOperator(GpuBatchConfig.defaults());
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(op, (MediaChunk c) -> c.getSessionId().toString(), Types.STRING)) {
            h.setProcessingTime(0);
            h.open();
            StreamingLogMel refA = new StreamingLogMel();
            StreamingLogMel refB = new StreamingLogMel();
            LogMelTwin twin = new LogMelTwin();
            List<float[]> expectedA = new ArrayList<>();
            List<float[]> expectedB = new ArrayList<>();
            long t = 0;
            for (int seq = 0; seq < 6; seq++) {
                short[] a = tone(640, 440, seq < 3 ? 0.05 : 0.6, seq * 640); // gets louder: running max moves
                short[] b = tone(640, 1500, 0.3, seq * 640);
                h.processElement(chunk("a", seq, a), seq);
                h.processElement(chunk("b", seq, b), seq);
                expectedA.add(refA.process(toFloat(a), twin));
                expectedB.add(refB.process(toFloat(b), twin));
                if (seq % 2 == 1) {
                    t += 5;
                    h.setProcessingTime(t); // two chunks per session per batch
                }
            }
            List<LogMelFeatures> out = h.extractOutputValues();
            assertThat(out).hasSize(12);
            int ia = 0;
            int ib = 0;
            for (LogMelFeatures f : out) {
                float[] expected = f.sessionId.equals("a") ? expectedA.get(ia++) : expectedB.get(ib++);
                assertThat(f.frames * 128).isEqualTo(expected.length);
                if (f.gpu) {
                    for (int i = 0; i < expected.length; i++) {
                        assertThat(Math.abs(f.logMel[i] - expected[i])).isLessThanOrEqualTo(1e-3f);
                    }
                } else {
                    assertThat(f.logMel).isEqualTo(expected);
                }
            }
            assertThat(out.get(0).frames).isEqualTo(2); // 640 samples: frames at 0 and 160, 320 kept
            assertThat(op.batchSizeHistogram().getCount()).isEqualTo(3);
            assertThat(op.batchSizeHistogram().getStatistics().getMax()).isEqualTo(4);
        }
    }

    @Test
    void nonAudioAndOddPayloadsAreCountedAsBadInput() throws Exception {
        LogMelBatchOperator op = new LogMelBatchOperator(GpuBatchConfig.defaults());
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(op, (MediaChunk c) -> c.getSessionId().toString(), Types.STRING)) {
            h.setProcessingTime(0);
            h.open();
            MediaChunk video = chunk("a", 0, new short[10]);
            video.setKind(MediaKind.CAMERA);
            MediaChunk odd = chunk("a", 1, new short[10]);
            odd.setPayload(ByteBuffer.wrap(new byte[3]));
            h.processElement(video, 0);
            h.processElement(odd, 0);
            h.processElement(chunk("a", 2, tone(640, 300, 0.2, 0)), 0);
            h.setProcessingTime(5);
            assertThat(h.extractOutputValues()).hasSize(1);
            assertThat(op.badInputCount()).isEqualTo(2);
        }
    }
}

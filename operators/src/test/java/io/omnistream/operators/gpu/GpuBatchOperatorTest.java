package io.omnistream.operators.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.attention.AttentionBatch;
import io.omnistream.gpu.attention.GatedAttentionTwin;
import io.omnistream.gpu.quant.Int8QuantizerTwin;
import io.omnistream.gpu.router.TopKGateTwin;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class GpuBatchOperatorTest {

    private static FeatureRows rows(String session, int n, int dim, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n * dim];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return new FeatureRows(session, seed, n, dim, v);
    }

    private static <I, O> OneInputStreamOperatorTestHarness<I, O> harness(GpuBatchOperator<I, O> op) throws Exception {
        OneInputStreamOperatorTestHarness<I, O> h = new OneInputStreamOperatorTestHarness<>(op);
        h.setProcessingTime(0);
        h.open();
        return h;
    }

    @Test
    void waitsForTheBoundedDelayThenRunsAllSessionsAsOneBatch() throws Exception {
        GpuBatchOperator<FeatureRows, QuantizedFeatures> op =
                new GpuBatchOperator<>(new Int8QuantizeKernel(), GpuBatchConfig.defaults());
        try (var h = harness(op)) {
            FeatureRows a = rows("a", 3, 256, 1);
            FeatureRows b = rows("b", 1, 256, 2);
            FeatureRows c = rows("c", 5, 256, 3);
            h.processElement(a, 10);
            h.setProcessingTime(2);
            h.processElement(b, 11);
            h.processElement(c, 12);
            h.setProcessingTime(4);
            assertThat(h.extractOutputValues()).isEmpty();
            h.setProcessingTime(5);
            List<QuantizedFeatures> out = h.extractOutputValues();
            assertThat(out).extracting(q -> q.sessionId).containsExactly("a", "b", "c");
            assertThat(op.batchSizeHistogram().getCount()).isEqualTo(1);
            assertThat(op.batchSizeHistogram().getStatistics().getMax()).isEqualTo(3);
            assertThat(op.batchMicrosHistogram().getCount()).isEqualTo(1);
            Int8QuantizerTwin twin = new Int8QuantizerTwin();
            for (int i = 0; i < 3; i++) {
                FeatureRows in = List.of(a, b, c).get(i);
                byte[] q = new byte[in.rows * in.dim];
                float[] s = new float[in.rows];
                twin.quantize(in.values, in.rows, in.dim, q, s);
                assertThat(out.get(i).codes).isEqualTo(q);
                assertThat(out.get(i).scales).isEqualTo(s);
            }
            assertThat(h.getOutput()).extracting(o -> ((org.apache.flink.streaming.runtime.streamrecord.StreamRecord<?>) o).getTimestamp())
                    .containsExactly(10L, 11L, 12L);
        }
    }

    @Test
    void aWatermarkNeverOvertakesElementsWaitingForTheirBatch() throws Exception {
        var op = new GpuBatchOperator<>(new Int8QuantizeKernel(), GpuBatchConfig.defaults());
        try (var h = harness(op)) {
            h.processWatermark(3);
            h.processElement(rows("a", 1, 64, 1), 10);
            h.processWatermark(20); // held at 9 while "a" waits
            h.processElement(rows("b", 1, 64, 2), 15);
            h.processWatermark(30);
            h.setProcessingTime(5); // the batch runs: both elements, then the held watermark
            List<Object> out = new java.util.ArrayList<>(h.getOutput());
            assertThat(out).extracting(o -> o instanceof org.apache.flink.streaming.api.watermark.Watermark w
                    ? "W" + w.getTimestamp()
                    : "E" + ((org.apache.flink.streaming.runtime.streamrecord.StreamRecord<?>) o).getTimestamp())
                    .containsExactly("W3", "W9", "E10", "E15", "W30");
        }
    }

    @Test
    void aFullBatchRunsWithoutWaiting() throws Exception {
        var op = new GpuBatchOperator<>(new Int8QuantizeKernel(), GpuBatchConfig.defaults().withMaxBatchSize(2));
        try (var h = harness(op)) {
            h.processElement(rows("a", 1, 64, 1), 0);
            assertThat(h.extractOutputValues()).isEmpty();
            h.processElement(rows("b", 1, 64, 2), 0);
            assertThat(h.extractOutputValues()).hasSize(2);
        }
    }

    @Test
    void differentFeatureWidthsGoToSeparateBatches() throws Exception {
        var op = new GpuBatchOperator<>(new Int8QuantizeKernel(), GpuBatchConfig.defaults());
        try (var h = harness(op)) {
            h.processElement(rows("a", 2, 64, 1), 0);
            h.processElement(rows("b", 2, 128, 2), 0);
            h.processElement(rows("c", 2, 64, 3), 0);
            h.setProcessingTime(5);
            assertThat(h.extractOutputValues()).extracting(q -> q.sessionId).containsExactlyInAnyOrder("a", "b", "c");
            assertThat(op.batchSizeHistogram().getCount()).isEqualTo(2);
        }
    }

    @Test
    void badInputIsCountedAndDroppedWithoutHurtingOtherSessions() throws Exception {
        var op = new GpuBatchOperator<>(new Int8QuantizeKernel(), GpuBatchConfig.defaults());
        try (var h = harness(op)) {
            FeatureRows bad = rows("bad", 2, 64, 1);
            bad.values = new float[3];
            FeatureRows nan = rows("nan", 1, 64, 2);
            nan.values[5] = Float.NaN;
            h.processElement(bad, 0);
            h.processElement(nan, 0);
            h.processElement(rows("good", 1, 64, 3), 0);
            h.setProcessingTime(10);
            assertThat(h.extractOutputValues()).extracting(q -> q.sessionId).containsExactly("good");
            assertThat(op.badInputCount()).isEqualTo(2);
        }
    }

    @Test
    void bufferedElementsAreFlushedBeforeACheckpointBarrier() throws Exception {
        var op = new GpuBatchOperator<>(new Int8QuantizeKernel(), GpuBatchConfig.defaults().withMaxWait(Duration.ofSeconds(10)));
        try (var h = harness(op)) {
            h.processElement(rows("a", 1, 64, 1), 0);
            assertThat(h.extractOutputValues()).isEmpty();
            h.prepareSnapshotPreBarrier(1);
            assertThat(h.extractOutputValues()).hasSize(1);
        }
    }

    private static AttentionRequest attention(String id, int[] lengths, float[] scores, int topK, long seed) {
        AttentionRequest r = new AttentionRequest();
        r.sessionId = id;
        r.heads = 2;
        r.segmentLengths = lengths;
        r.pairScores = scores;
        r.topK = topK;
        int n = r.tokens() * 2 * AttentionBatch.HEAD_DIM;
        Random rnd = new Random(seed);
        r.q = new float[n];
        r.k = new float[n];
        r.v = new float[n];
        for (int i = 0; i < n; i++) {
            r.q[i] = rnd.nextFloat() * 2 - 1;
            r.k[i] = rnd.nextFloat() * 2 - 1;
            r.v[i] = rnd.nextFloat() * 2 - 1;
        }
        return r;
    }

    @Test
    void attentionSessionsAreBatchedByModalityCombinationAndMatchOneByOneResults() throws Exception {
        float[] scores = new float[16];
        for (int i = 0; i < 16; i++) {
            scores[i] = (i * 7) % 16;
        }
        List<AttentionRequest> reqs = List.of(
                attention("av", new int[] {10, 5, 0, 0}, scores, 3, 1),
                attention("avst", new int[] {8, 4, 20, 3}, scores, 6, 2),
                attention("av2", new int[] {1, 70, 0, 0}, scores, 16, 3));
        var op = new GpuBatchOperator<>(new GatedAttentionKernel(), GpuBatchConfig.defaults());
        try (var h = harness(op)) {
            for (AttentionRequest r : reqs) {
                h.processElement(r, 0);
            }
            h.setProcessingTime(5);
            List<AttentionResult> out = h.extractOutputValues();
            assertThat(out).extracting(r -> r.sessionId).containsExactlyInAnyOrder("av", "avst", "av2");
            assertThat(op.batchSizeHistogram().getCount()).isEqualTo(2);
            for (AttentionResult res : out) {
                AttentionRequest r = reqs.stream().filter(x -> x.sessionId.equals(res.sessionId)).findFirst().orElseThrow();
                int[] gate = new int[1];
                new TopKGateTwin().select(r.pairScores, 1, r.topK, gate);
                assertThat(res.gate).isEqualTo(gate[0]).isNotZero();
                int[] l = r.segmentLengths;
                AttentionBatch one = AttentionBatch.builder(2).add(l[0], l[1], l[2], l[3], gate[0]).build();
                float[] expected = new float[one.tensorFloats()];
                new GatedAttentionTwin().compute(one, r.q, r.k, r.v, expected);
                if (res.gpu) {
                    for (int i = 0; i < expected.length; i++) {
                        assertThat(Math.abs(res.out[i] - expected[i])).isLessThanOrEqualTo(4e-3f);
                    }
                } else {
                    assertThat(Arrays.mismatch(res.out, expected)).isEqualTo(-1);
                }
            }
        }
    }

    private static FrameCropRequest frame(String id, FrameCropRequest.Purpose purpose, int w, int h, float[] box) {
        FrameCropRequest r = new FrameCropRequest();
        r.sessionId = id;
        r.purpose = purpose;
        r.width = w;
        r.height = h;
        r.i420 = new byte[io.omnistream.gpu.image.ResizeBatch.i420Bytes(w, h)];
        for (int i = 0; i < r.i420.length; i++) {
            r.i420[i] = (byte) ((i * 31 + id.hashCode()) & 0xff);
        }
        r.box = box;
        return r;
    }

    @Test
    void faceInputsAndMouthCropsAreBatchedByPurposeAndMatchTheTwin() throws Exception {
        var op = new GpuBatchOperator<>(new FrameCropKernel(), GpuBatchConfig.defaults());
        List<FrameCropRequest> reqs = List.of(
                frame("f1", FrameCropRequest.Purpose.FACE, 320, 240, null),
                frame("m1", FrameCropRequest.Purpose.MOUTH, 320, 240, new float[] {100, 150, 60, 40}),
                frame("f2", FrameCropRequest.Purpose.FACE, 161, 97, null));
        FrameCropRequest noBox = frame("bad", FrameCropRequest.Purpose.MOUTH, 64, 64, null);
        try (var h = harness(op)) {
            for (FrameCropRequest r : reqs) {
                h.processElement(r, 0);
            }
            h.processElement(noBox, 0);
            h.setProcessingTime(5);
            List<ModelInput> out = h.extractOutputValues();
            assertThat(out).extracting(m -> m.sessionId).containsExactlyInAnyOrder("f1", "m1", "f2");
            assertThat(op.batchSizeHistogram().getCount()).isEqualTo(2);
            assertThat(op.badInputCount()).isEqualTo(1);
            for (ModelInput m : out) {
                FrameCropRequest r = reqs.stream().filter(x -> x.sessionId.equals(m.sessionId)).findFirst().orElseThrow();
                io.omnistream.gpu.image.ResizeBatch b = r.purpose == FrameCropRequest.Purpose.FACE
                        ? io.omnistream.gpu.image.ResizeBatch.blazeFace() : io.omnistream.gpu.image.ResizeBatch.mouth(88);
                if (r.box == null) {
                    b.add(r.i420, r.width, r.height);
                } else {
                    b.add(r.i420, 0, r.width, r.height, r.box[0], r.box[1], r.box[2], r.box[3]);
                }
                float[] expected = new float[b.outputFloats()];
                new io.omnistream.gpu.image.FrameResizerTwin().resize(b, expected);
                assertThat(m.tensor).hasSize(expected.length);
                assertThat(m.channels).isEqualTo(r.purpose == FrameCropRequest.Purpose.FACE ? 3 : 1);
                for (int i = 0; i < expected.length; i++) {
                    assertThat(Math.abs(m.tensor[i] - expected[i])).isLessThanOrEqualTo(m.gpu ? 1e-4f : 0f);
                }
            }
        }
    }
}

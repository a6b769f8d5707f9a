package io.omnistream.connectors.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.schemas.MediaChunk;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.util.List;
import javax.imageio.ImageIO;

/** Assertions on what the edge put into Kafka, shared by the browser and the Java-client tests. */
final class MediaChecks {
    private MediaChecks() {}

    /**
     * 20 ms, 16 kHz PCM chunks with consecutive seqs and a sample clock advancing by whole 20 ms chunks, held to the
     * wall clock (it skips chunks the audio module never delivered, see {@link AudioChunker}).
     */
    static void assertAudio(List<MediaChunk> chunks, boolean expectSpeech) {
        List<MediaChunk> a = JavaClientEdgeITCase.sorted(chunks);
        assertThat(a).isNotEmpty();
        assertThat(a.get(0).getSeq()).isZero();
        double maxRms = 0;
        for (int i = 0; i < a.size(); i++) {
            MediaChunk c = a.get(i);
            assertThat(c.getSeq()).isEqualTo(i);
            assertThat(c.getSampleRate()).isEqualTo(16000);
            assertThat(c.getDurationMicros()).isEqualTo(20_000);
            assertThat(c.getPayload().remaining()).isEqualTo(640);
            // one time line for all sessions (the job's watermarks compare them): the session clock placed at the
            // session's start on the epoch, so capture and edge arrival times are close
            assertThat(Math.abs(c.getArrivalTimeMicros() - c.getCaptureTimeMicros())).as("capture time on the epoch time line")
                    .isLessThan(30_000_000L);
            assertThat(c.getCaptureTimeMicros() % 20_000).as("audio chunks on the 20 ms grid of the epoch").isZero();
            if (i > 0) {
                long step = c.getCaptureTimeMicros() - a.get(i - 1).getCaptureTimeMicros();
                assertThat(step).as("sample clock step").isPositive();
                assertThat(step % 20_000).as("sample clock step in whole chunks").isZero();
                assertThat(c.getArrivalTimeMicros()).isGreaterThanOrEqualTo(a.get(i - 1).getArrivalTimeMicros());
            }
            maxRms = Math.max(maxRms, TestMedia.rms(c.getPayload()));
        }
        // wall-clock rate: the chunks cover about the wall time they took to arrive. Loose bounds because a CI core
        // shared with other builds starves the 10 ms audio threads at times; a doubled or halved clock still fails.
        long wall = a.get(a.size() - 1).getArrivalTimeMicros() - a.get(0).getArrivalTimeMicros();
        double mediaSpan = (a.size() - 1) * 20_000.0;
        assertThat(mediaSpan).as("media time vs wall time").isBetween(wall * 0.55, wall * 1.4 + 200_000);
        // the sample clock follows the wall clock: arrival minus capture stays put (a clock counting only the
        // delivered samples drifted 1-3 % behind the pictures; loose for a starved CI core)
        long minOffset = Long.MAX_VALUE, maxOffset = Long.MIN_VALUE;
        for (MediaChunk c : a) {
            minOffset = Math.min(minOffset, c.getArrivalTimeMicros() - c.getCaptureTimeMicros());
            maxOffset = Math.max(maxOffset, c.getArrivalTimeMicros() - c.getCaptureTimeMicros());
        }
        assertThat(maxOffset - minOffset).as("arrival minus capture time spread").isLessThan(1_000_000L);
        if (expectSpeech) {
            assertThat(maxRms).as("speech energy reached Kafka").isGreaterThan(0.02);
        }
    }

    /** JPEG pictures within the size limit, increasing capture times, at most {@code maxFps}. */
    static void assertVideo(List<MediaChunk> frames, int maxW, int maxH, double maxFps) throws Exception {
        List<MediaChunk> v = JavaClientEdgeITCase.sorted(frames);
        assertThat(v).isNotEmpty();
        for (int i = 0; i < v.size(); i++) {
            MediaChunk c = v.get(i);
            assertThat(c.getSeq()).isEqualTo(i);
            assertThat(c.getWidth()).isBetween(2, maxW);
            assertThat(c.getHeight()).isBetween(2, maxH);
            ByteBuffer p = c.getPayload().duplicate();
            byte[] jpg = new byte[p.remaining()];
            p.get(jpg);
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(jpg));
            assertThat(img).as("frame %d is a JPEG", i).isNotNull();
            assertThat(img.getWidth()).isEqualTo(c.getWidth());
            assertThat(img.getHeight()).isEqualTo(c.getHeight());
            if (i > 0) {
                assertThat(c.getCaptureTimeMicros()).isGreaterThan(v.get(i - 1).getCaptureTimeMicros());
            }
        }
        if (v.size() > 2) {
            long span = v.get(v.size() - 1).getArrivalTimeMicros() - v.get(0).getArrivalTimeMicros();
            assertThat((v.size() - 1) / (span / 1e6)).as("frame rate").isLessThanOrEqualTo(maxFps * 1.15);
        }
    }
}

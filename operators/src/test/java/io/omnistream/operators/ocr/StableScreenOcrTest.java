package io.omnistream.operators.ocr;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.operators.understand.testutils.ChromiumScreenshots;
import io.omnistream.operators.understand.testutils.Frames;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.ScreenText;
import io.omnistream.schemas.VideoFrame;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Stable-screen selection and the async OCR function with real Tesseract, on pictures drawn with
 * Java2D (Chromium-rendered ones: ScreenOcrITCase).
 */
class StableScreenOcrTest {
    private static final String S = "s";
    private KeyedOneInputStreamOperatorTestHarness<String, PerceptionFrame, ScreenToRead> harness;
    private ScreenOcrAsyncFunction ocr;
    private long tick;

    @BeforeEach
    void open() throws Exception {
        UnderstandingConfig c = new UnderstandingConfig();
        c.ocrStableMicros = 400_000;
        harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new StableScreenFilter(c)),
                PerceptionFrame::getSessionId, Types.STRING);
        harness.open();
        ocr = new ScreenOcrAsyncFunction(c);
        ocr.setRuntimeContext(harness.getOperator().getRuntimeContext());
        ocr.open(null);
    }

    @AfterEach
    void close() throws Exception {
        ocr.close();
        harness.close();
    }

    private static byte[] picture(String... lines) throws Exception {
        BufferedImage img = new BufferedImage(1280, 720, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 1280, 720);
        g.setColor(Color.BLACK);
        g.setFont(new Font("DejaVu Sans", Font.PLAIN, 22));
        for (int i = 0; i < lines.length; i++) {
            g.drawString(lines[i], 200, 250 + 40 * i);
        }
        g.dispose();
        return ChromiumScreenshots.toJpeg(img, 0.9f);
    }

    private void frame(VideoFrame screen, boolean changed) throws Exception {
        PerceptionFrame f = Frames.session(S, new short[640], 0, 0, null, 0).get(0);
        f.setTickIndex(tick);
        f.setTickStartMicros(tick * Frames.TICK_MICROS);
        f.setTickEndMicros((tick + 1) * Frames.TICK_MICROS);
        f.setScreen(screen);
        f.setScreenChanged(changed);
        harness.processElement(new StreamRecord<>(f));
        tick++;
    }

    private static VideoFrame screen(long seq, byte[] jpeg) {
        return VideoFrame.newBuilder().setSeq(seq).setCaptureTimeMicros(0).setWidth(1280).setHeight(720).setJpeg(ByteBuffer.wrap(jpeg)).build();
    }

    private List<ScreenToRead> selected() {
        return harness.getOutput().stream().map(o -> (ScreenToRead) ((StreamRecord<?>) o).getValue()).collect(Collectors.toList());
    }

    /** Runs the async OCR on every selected picture and waits for the results. */
    private List<ScreenText> out() throws Exception {
        List<ScreenText> all = new java.util.ArrayList<>();
        for (ScreenToRead s : selected()) {
            java.util.concurrent.CompletableFuture<java.util.Collection<Tuple3<ScreenText, Long, Boolean>>> f =
                    new java.util.concurrent.CompletableFuture<>();
            ocr.asyncInvoke(s, new org.apache.flink.streaming.api.functions.async.ResultFuture<>() {
                @Override
                public void complete(java.util.Collection<Tuple3<ScreenText, Long, Boolean>> result) {
                    f.complete(result);
                }

                @Override
                public void completeExceptionally(Throwable error) {
                    f.completeExceptionally(error);
                }

                @Override
                public void complete(
                        org.apache.flink.streaming.api.functions.async.CollectionSupplier<Tuple3<ScreenText, Long, Boolean>> supplier) {
                    try {
                        f.complete(supplier.get());
                    } catch (Exception e) {
                        f.completeExceptionally(e);
                    }
                }
            });
            f.get(60, java.util.concurrent.TimeUnit.SECONDS).forEach(r -> all.add(r.f0));
        }
        return all;
    }

    @Test
    void readsTheScreenOnlyOnceItHasBeenStable() throws Exception {
        VideoFrame first = screen(1, picture("Sign in failed", "Error code: 0x80070005"));
        VideoFrame second = screen(2, picture("Payment declined", "Error E-4021", "Order number: ORD-7731945"));
        frame(first, true);
        for (int i = 0; i < 5; i++) {
            frame(first, false); // 240 ms stable: not yet
        }
        frame(second, true); // changed again before it was stable: the first is never read
        for (int i = 0; i < 9; i++) {
            frame(second, false);
        }
        assertThat(out()).isEmpty();
        frame(second, false); // 400 ms stable
        for (int i = 0; i < 20; i++) {
            frame(second, false); // unchanged afterwards: no second read
        }
        assertThat(selected()).hasSize(1);
        assertThat(out()).hasSize(1);
        ScreenText t = out().get(0);
        assertThat(t.getFrameSeq()).isEqualTo(2);
        assertThat(String.join("\n", t.getLines())).contains("Payment declined");
        assertThat(t.getIdentifiers()).extracting(i -> i.getType() + ":" + i.getValue())
                .contains("ERROR_CODE:E-4021", "ORDER_NUMBER:ORD-7731945");
    }

    @Test
    void aPictureThatCannotBeDecodedIsDroppedAndTheNextOneIsRead() throws Exception {
        frame(screen(1, new byte[] {1, 2, 3, 4}), true);
        for (int i = 0; i < 12; i++) {
            frame(screen(1, new byte[] {1, 2, 3, 4}), false);
        }
        assertThat(selected()).hasSize(1);
        assertThat(out()).as("undecodable picture dropped").isEmpty();
        VideoFrame good = screen(2, picture("Error code: 0x80070005"));
        frame(good, true);
        for (int i = 0; i < 12; i++) {
            frame(good, false);
        }
        assertThat(out()).hasSize(1);
        assertThat(out().get(0).getIdentifiers()).extracting(i -> i.getValue()).containsExactly("0x80070005");
    }
}

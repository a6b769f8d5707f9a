package io.omnistream.operators.ocr;

import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.schemas.ScreenText;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * Reads stable screen pictures with Tesseract off the task thread (Flink async I/O), one picture at a
 * time per operator instance on its own OCR thread (a Tesseract instance is not thread-safe), and
 * emits the lines and identifiers as {@link ScreenText}. A picture that cannot be decoded is counted
 * and dropped; the session goes on.
 */
public class ScreenOcrAsyncFunction extends RichAsyncFunction<ScreenToRead, ScreenText> {
    private static final long serialVersionUID = 1L;

    private final UnderstandingConfig config;
    private transient ExecutorService ocrThread;
    private transient ScreenReader reader;
    private transient Counter badPictures;
    private transient Counter reads;
    private transient Counter readMicros;

    public ScreenOcrAsyncFunction(UnderstandingConfig config) {
        this.config = config;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        ocrThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tesseract-ocr");
            t.setDaemon(true);
            return t;
        });
        reader = ocrThread.submit(() -> new ScreenReader(config)).get();
        badPictures = getRuntimeContext().getMetricGroup().counter("ocrBadPictures");
        reads = getRuntimeContext().getMetricGroup().counter("ocrReads");
        readMicros = getRuntimeContext().getMetricGroup().counter("ocrReadMicros");
    }

    @Override
    public void close() throws Exception {
        if (ocrThread != null) {
            if (reader != null) { // open may have failed before the reader existed
                ocrThread.submit(() -> reader.close()).get();
            }
            ocrThread.shutdown();
        }
    }

    @Override
    public void asyncInvoke(ScreenToRead in, ResultFuture<ScreenText> result) {
        ocrThread.execute(() -> {
            ByteBuffer b = in.picture.getJpeg().duplicate();
            byte[] jpeg = new byte[b.remaining()];
            b.get(jpeg);
            long t0 = System.nanoTime();
            ScreenReader.Result r;
            try {
                r = reader.read(jpeg);
            } catch (RuntimeException e) {
                badPictures.inc();
                result.complete(Collections.emptyList());
                return;
            }
            reads.inc();
            readMicros.inc((System.nanoTime() - t0) / 1000);
            result.complete(Collections.singleton(ScreenText.newBuilder()
                    .setSessionId(in.sessionId)
                    .setFrameSeq(in.picture.getSeq())
                    .setCaptureTimeMicros(in.picture.getCaptureTimeMicros())
                    .setLines(r.lines)
                    .setIdentifiers(IdentifierExtractor.extract(r.text()))
                    .setConfidence(r.confidence)
                    .build()));
        });
    }

    @Override
    public void timeout(ScreenToRead in, ResultFuture<ScreenText> result) {
        result.complete(Collections.emptyList());
    }
}

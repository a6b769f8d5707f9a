package io.omnistream.operators.ocr;

import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.schemas.ScreenText;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.api.java.typeutils.TupleTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * Reads stable screen pictures with Tesseract off the task thread (Flink async I/O), one picture at a
 * time per operator instance on its own OCR thread (a Tesseract instance is not thread-safe), and
 * emits the lines and identifiers as {@link ScreenText}, with the source pixels the recogniser read and whether it
 * read the whole screen (pictures marked {@link ScreenToRead#changedRegionOnly} may be read in part, see
 * {@link ChangedRegionReader}); {@link ScreenReadCounter} counts those, because an async function has no
 * accumulators. A picture that cannot be decoded is counted and dropped; the session goes on.
 */
public class ScreenOcrAsyncFunction extends RichAsyncFunction<ScreenToRead, Tuple3<ScreenText, Long, Boolean>> {
    private static final long serialVersionUID = 1L;

    private final UnderstandingConfig config;
    private transient ExecutorService ocrThread;
    private transient ScreenReader reader;
    private transient ChangedRegionReader regions;
    private transient Counter badPictures;
    private transient Counter reads;
    private transient Counter readMicros;

    public ScreenOcrAsyncFunction(UnderstandingConfig config) {
        this.config = config;
    }

    /** What the function emits: the screen text, source pixels read, whether the whole screen was read. */
    public static TypeInformation<Tuple3<ScreenText, Long, Boolean>> outputType() {
        return new TupleTypeInfo<>(TypeInformation.of(ScreenText.class), Types.LONG, Types.BOOLEAN);
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        ocrThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tesseract-ocr");
            t.setDaemon(true);
            return t;
        });
        reader = ocrThread.submit(() -> new ScreenReader(config)).get();
        regions = new ChangedRegionReader(reader, config.ocrChangedRegionSessions, config.ocrMaxRegionFraction);
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
    public void asyncInvoke(ScreenToRead in, ResultFuture<Tuple3<ScreenText, Long, Boolean>> result) {
        ocrThread.execute(() -> {
            ByteBuffer b = in.picture.getJpeg().duplicate();
            byte[] jpeg = new byte[b.remaining()];
            b.get(jpeg);
            long t0 = System.nanoTime();
            ChangedRegionReader.Read read;
            try {
                read = regions.read(in.sessionId, jpeg, in.changedRegionOnly);
            } catch (RuntimeException e) {
                badPictures.inc();
                result.complete(Collections.emptyList());
                return;
            }
            reads.inc();
            readMicros.inc((System.nanoTime() - t0) / 1000);
            ScreenReader.Result r = read.result();
            ScreenText text = ScreenText.newBuilder()
                    .setSessionId(in.sessionId)
                    .setFrameSeq(in.picture.getSeq())
                    .setCaptureTimeMicros(in.picture.getCaptureTimeMicros())
                    .setLines(r.lines)
                    .setIdentifiers(IdentifierExtractor.extract(r.text()))
                    .setConfidence(r.confidence)
                    .build();
            result.complete(Collections.singleton(Tuple3.of(text, r.pixelsRead, read.wholePage())));
        });
    }

    @Override
    public void timeout(ScreenToRead in, ResultFuture<Tuple3<ScreenText, Long, Boolean>> result) {
        result.complete(Collections.emptyList());
    }
}

package io.omnistream.operators.ocr;

import io.omnistream.operators.route.WorkCounter;
import io.omnistream.schemas.ScreenText;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.java.tuple.Tuple3;

/**
 * Counts the OCR's work as its reads come out of {@link ScreenOcrAsyncFunction} (which cannot keep accumulators):
 * {@code work.ocr.pixels} (source pixels recognised), {@code work.ocr.whole} and {@code work.ocr.region} (reads of
 * the whole screen and of changed regions only), and passes the screen text on.
 */
public class ScreenReadCounter extends RichMapFunction<Tuple3<ScreenText, Long, Boolean>, ScreenText> {
    private static final long serialVersionUID = 1L;

    private transient WorkCounter pixels;
    private transient WorkCounter whole;
    private transient WorkCounter region;

    @Override
    public void open(OpenContext openContext) {
        pixels = WorkCounter.register(getRuntimeContext(), "work.ocr.pixels");
        whole = WorkCounter.register(getRuntimeContext(), "work.ocr.whole");
        region = WorkCounter.register(getRuntimeContext(), "work.ocr.region");
    }

    @Override
    public ScreenText map(Tuple3<ScreenText, Long, Boolean> read) {
        pixels.inc(read.f1);
        (read.f2 ? whole : region).inc();
        return read.f0;
    }
}

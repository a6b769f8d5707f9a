package io.omnistream.loadtests.understand;

import io.omnistream.operators.asr.SphinxDecoder;
import io.omnistream.operators.asr.SphinxDecoderPool;
import io.omnistream.operators.ocr.IdentifierExtractor;
import io.omnistream.operators.ocr.ScreenReader;
import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.operators.understand.testutils.ChromiumScreenshots;
import io.omnistream.operators.understand.testutils.Recordings;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * CPU cost and accuracy of understanding: PocketSphinx CPU per session-minute of customer speech
 * (40 ms ticks, a partial hypothesis every 300 ms) and word error rate on the librivox recordings of
 * pocketsphinx-testdata (fast final as configured by default, and with PocketSphinx's second passes);
 * Tesseract CPU per screen read and identifier accuracy on Chromium-rendered error dialogs at 720p
 * and 1080p. CPU is process CPU time (Tesseract may use several threads).
 *
 * <pre>mvn -q -pl load-tests exec:exec -Dbench.main=io.omnistream.loadtests.understand.UnderstandingCostBenchmark -Dbench.args=all</pre>
 */
public final class UnderstandingCostBenchmark {
    private UnderstandingCostBenchmark() {}

    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    public static void main(String[] args) throws Exception {
        String what = args.length > 0 ? args[0] : "all";
        if (what.equals("all") || what.equals("asr")) {
            asr();
        }
        if (what.equals("all") || what.equals("ocr")) {
            ocr();
        }
        if (what.equals("all") || what.equals("answer")) {
            answer();
        }
        System.exit(0);
    }

    static void asr() throws Exception {
        List<Recordings.Utterance> librivox = Recordings.librivox();
        for (boolean fast : new boolean[] {true, false}) {
            UnderstandingConfig c = new UnderstandingConfig();
            c.asrDecodersPerInstance = 1;
            c.asrMaxDecodersPerInstance = 1;
            c.asrFastFinal = fast;
            try (SphinxDecoderPool pool = new SphinxDecoderPool(c)) {
                SphinxDecoder d = pool.borrow();
                int errors = 0;
                int words = 0;
                for (Recordings.Utterance u : librivox) {
                    String hyp = decode(d, u.samples, 0);
                    errors += Recordings.wordErrors(u.transcript, hyp);
                    words += Recordings.words(u.transcript);
                }
                // CPU per session-minute: one minute of speech, as turns of the librivox utterances
                long samples = 0;
                long cpu0 = cpuNanos();
                long wall0 = System.nanoTime();
                int partials = 0;
                while (samples < 60L * 16000) {
                    for (Recordings.Utterance u : librivox) {
                        decode(d, u.samples, 4800);
                        partials += u.samples.length / 4800;
                        samples += u.samples.length;
                    }
                }
                double cpuSeconds = (cpuNanos() - cpu0) / 1e9;
                double audioMinutes = samples / 16000.0 / 60.0;
                System.out.printf("ASR %-22s WER %.3f (%d/%d words)  CPU %.2f s per session-minute of speech (%.2f xRT, %d partials, wall %.1f s)%n",
                        fast ? "fast final (default)" : "with second passes", (double) errors / words, errors, words,
                        cpuSeconds / audioMinutes, cpuSeconds / (samples / 16000.0), partials, (System.nanoTime() - wall0) / 1e9);
                pool.giveBack(d);
            }
        }
    }

    /**
     * The compute part of end-of-turn → first audio chunk inside the operators, without Flink transport:
     * at end: ASR final + matching + synthesis up to the first chunk; speculative: the answer and its
     * audio were prepared at the speech drop, the end of turn only takes the first chunk.
     */
    static void answer() throws Exception {
        UnderstandingConfig c = new UnderstandingConfig();
        c.asrDecodersPerInstance = 1;
        List<Recordings.Utterance> librivox = Recordings.librivox();
        io.omnistream.operators.respond.EmbeddedResponder responder = new io.omnistream.operators.respond.EmbeddedResponder(c);
        io.omnistream.operators.tts.EspeakEngine tts = io.omnistream.operators.tts.EspeakEngine.shared(c.espeakLibrary, null);
        org.HdrHistogram.Histogram atEnd = new org.HdrHistogram.Histogram(10_000_000L, 3);
        org.HdrHistogram.Histogram prepared = new org.HdrHistogram.Histogram(10_000_000L, 3);
        org.HdrHistogram.Histogram asrFinal = new org.HdrHistogram.Histogram(10_000_000L, 3);
        try (SphinxDecoderPool pool = new SphinxDecoderPool(c)) {
            SphinxDecoder d = pool.borrow();
            for (int rep = 0; rep < 8; rep++) {
                for (Recordings.Utterance u : librivox) {
                    d.start();
                    for (int i = 0; i < u.samples.length; i += 640) {
                        int n = Math.min(640, u.samples.length - i);
                        d.process(Arrays.copyOfRange(u.samples, i, i + n), n);
                    }
                    long t0 = System.nanoTime();
                    String text = d.finish();
                    long t1 = System.nanoTime();
                    var a = responder.answer(text, null);
                    var job = tts.submit(a.text, c.ttsVoice, c.ttsRate, c.ttsOutputSampleRate, c.ttsChunkMillis);
                    job.poll(2, java.util.concurrent.TimeUnit.SECONDS);
                    long t2 = System.nanoTime();
                    job.cancel();
                    if (rep > 0) {
                        asrFinal.recordValue((t1 - t0) / 1000);
                        atEnd.recordValue((t2 - t0) / 1000);
                    }
                    var spec = tts.submit(a.text, c.ttsVoice, c.ttsRate, c.ttsOutputSampleRate, c.ttsChunkMillis);
                    Thread.sleep(100); // the time between speech drop and end of turn
                    long t3 = System.nanoTime();
                    spec.poll(2, java.util.concurrent.TimeUnit.SECONDS);
                    if (rep > 0) {
                        prepared.recordValue((System.nanoTime() - t3) / 1000);
                    }
                    spec.cancel();
                }
            }
            pool.giveBack(d);
        }
        for (var e : new java.util.LinkedHashMap<String, org.HdrHistogram.Histogram>() {{
                put("ASR final (ps_end_utt)", asrFinal);
                put("at end: ASR final+match+TTS 1st chunk", atEnd);
                put("speculative: prepared 1st chunk", prepared); }}.entrySet()) {
            System.out.printf("ANSWER %-40s n=%d p50=%.2f ms p95=%.2f ms max=%.2f ms%n", e.getKey(), e.getValue().getTotalCount(),
                    e.getValue().getValueAtPercentile(50) / 1000.0, e.getValue().getValueAtPercentile(95) / 1000.0,
                    e.getValue().getMaxValue() / 1000.0);
        }
    }

    /** Feeds 40 ms ticks, asks for a partial every {@code partialEvery} samples (0: never). */
    static String decode(SphinxDecoder d, short[] s, int partialEvery) {
        d.start();
        int sincePartial = 0;
        for (int i = 0; i < s.length; i += 640) {
            int n = Math.min(640, s.length - i);
            d.process(Arrays.copyOfRange(s, i, i + n), n);
            sincePartial += n;
            if (partialEvery > 0 && sincePartial >= partialEvery) {
                d.hypothesis();
                sincePartial = 0;
            }
        }
        return d.finish();
    }

    static void ocr() throws Exception {
        List<ChromiumScreenshots.Shot> shots = ChromiumScreenshots.renderAll(Path.of("target/understand-bench/ocr"));
        try (ScreenReader reader = new ScreenReader(new UnderstandingConfig())) {
            reader.read(shots.get(0).jpeg()); // warm-up
            for (int height : new int[] {720, 1080}) {
                int expected = 0;
                int found = 0;
                long cpu = 0;
                long wall = 0;
                int reads = 0;
                for (int rep = 0; rep < 3; rep++) {
                    for (ChromiumScreenshots.Shot shot : shots) {
                        if (shot.height != height) {
                            continue;
                        }
                        byte[] jpeg = shot.jpeg();
                        long c0 = cpuNanos();
                        long w0 = System.nanoTime();
                        ScreenReader.Result r = reader.read(jpeg);
                        List<String> got = IdentifierExtractor.extract(r.text()).stream()
                                .map(i -> i.getType() + ":" + i.getValue()).collect(Collectors.toList());
                        cpu += cpuNanos() - c0;
                        wall += System.nanoTime() - w0;
                        reads++;
                        if (rep == 0) {
                            expected += shot.expected.size();
                            found += (int) shot.expected.stream().filter(got::contains).count();
                        }
                    }
                }
                double cpuMs = cpu / 1e6 / reads;
                System.out.printf("OCR %4dp  identifier accuracy %.3f (%d/%d)  CPU %.0f ms per read (wall %.0f ms)  "
                        + "= %.2f s CPU per session-minute at 6 stable screen changes/minute%n",
                        height, (double) found / expected, found, expected, cpuMs, wall / 1e6 / reads, cpuMs * 6 / 1000);
            }
        }
    }
}

package io.omnistream.loadtests.understand;

import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.operators.understand.UnderstandingPipeline;
import io.omnistream.operators.understand.UnderstandingStreams;
import io.omnistream.operators.understand.testutils.ChromiumScreenshots;
import io.omnistream.operators.understand.testutils.Frames;
import io.omnistream.operators.understand.testutils.PaceBySessionClock;
import io.omnistream.operators.understand.testutils.Recordings;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.SpeechEvent;
import io.omnistream.schemas.SpeechEventType;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.HdrHistogram.Histogram;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * End-of-turn decision → first agent audio chunk leaving the understanding graph, on a local
 * MiniCluster fed in real time: several sessions, each with turns of real speech (librivox and an
 * espeak-ng question) and a Chromium-rendered error dialog on screen. Mode {@code speculative}: the
 * speech drop comes 480 ms before the end of turn (answer prepared); mode {@code at-end}:
 * speculation off, everything (ASR final, matching, synthesis) happens after the end-of-turn event.
 *
 * <pre>mvn -q -pl load-tests exec:exec -Dbench.main=io.omnistream.loadtests.understand.AnswerLatencyBenchmark -Dbench.args=all</pre>
 */
public final class AnswerLatencyBenchmark {
    static final Map<String, Histogram> HISTOGRAMS = new ConcurrentHashMap<>();
    static final Set<String> SEEN = ConcurrentHashMap.newKeySet();

    private AnswerLatencyBenchmark() {}

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "all";
        int sessions = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int turns = args.length > 2 ? Integer.parseInt(args[2]) : 6;
        StringBuilder report = new StringBuilder();
        for (String m : mode.equals("all") ? List.of("speculative", "at-end") : List.of(mode)) {
            run(m.equals("speculative"), sessions, turns);
            for (Map.Entry<String, Histogram> e : new java.util.TreeMap<>(HISTOGRAMS).entrySet()) {
                if (!e.getKey().startsWith(m)) {
                    continue;
                }
                Histogram h = e.getValue();
                report.append(String.format("%-36s n=%d  p50=%.1f ms  p95=%.1f ms  p99=%.1f ms  max=%.1f ms%n", e.getKey(), h.getTotalCount(),
                        h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(95) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                        h.getMaxValue() / 1000.0));
            }
        }
        System.out.println("END-OF-TURN -> FIRST AGENT AUDIO CHUNK (sessions=" + sessions + ", turns/session=" + turns
                + ", load average at end " + ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() + ")");
        System.out.print(report);
        System.exit(0);
    }

    static Histogram run(boolean speculative, int sessions, int turnsPerSession) throws Exception {
        Path work = Path.of("target/understand-bench");
        List<short[]> speech = new ArrayList<>();
        speech.add(Recordings.spoken("Hello. I cannot log in, I get an error.", work, 140));
        speech.add(Recordings.spoken("My payment failed and my card was declined.", work, 140));
        for (Recordings.Utterance u : Recordings.librivox()) {
            speech.add(u.samples);
        }
        byte[] dialog = ChromiumScreenshots.render(ChromiumScreenshots.dialogs().stream()
                .filter(p -> p.toString().contains("signin")).findFirst().orElseThrow(), 1280, 720, work).jpeg();

        List<PerceptionFrame> frames = new ArrayList<>();
        List<SpeechEvent> events = new ArrayList<>();
        for (int s = 0; s < sessions; s++) {
            String id = "bench-" + s;
            short[] timeline = new short[0];
            long cursor = (200L * s) * 16; // sessions start 200 ms apart
            List<long[]> spans = new ArrayList<>();
            List<short[]> parts = new ArrayList<>();
            for (int k = 0; k < turnsPerSession; k++) {
                short[] u = speech.get((s + k) % speech.size());
                cursor += 800 * 16;
                spans.add(new long[] {cursor, cursor + u.length});
                parts.add(u);
                cursor += u.length + 2600 * 16; // 640 ms to the end of turn, then the answer plays
            }
            timeline = new short[(int) cursor + 16000];
            for (int k = 0; k < spans.size(); k++) {
                System.arraycopy(parts.get(k), 0, timeline, (int) spans.get(k)[0], parts.get(k).length);
            }
            frames.addAll(Frames.session(id, timeline, 0, 0, dialog, 3));
            for (int k = 0; k < spans.size(); k++) {
                long start = spans.get(k)[0] * 1000 / 16;
                long end = spans.get(k)[1] * 1000 / 16;
                long turn = k + 1;
                events.add(Frames.event(id, SpeechEventType.SPEECH_START, turn, Frames.tickEnd(start) + 120_000, start));
                events.add(Frames.event(id, SpeechEventType.SPEECH_END, turn, Frames.tickEnd(end) + 160_000, end));
                events.add(Frames.event(id, SpeechEventType.END_OF_TURN, turn, Frames.tickEnd(end) + 640_000, end));
            }
        }
        frames.sort((a, b) -> Long.compare(a.getTickEndMicros(), b.getTickEndMicros()));
        events.sort((a, b) -> Long.compare(a.getSessionTimeMicros(), b.getSessionTimeMicros()));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.setBufferTimeout(0);
        long startAt = System.currentTimeMillis() + 8000; // operators load models first
        DataStream<PerceptionFrame> frameStream = env.fromData(frames, TypeInformation.of(PerceptionFrame.class))
                .map(new PaceBySessionClock<>(startAt, 0), TypeInformation.of(PerceptionFrame.class));
        DataStream<SpeechEvent> eventStream = env.fromData(events, TypeInformation.of(SpeechEvent.class))
                .map(new PaceBySessionClock<>(startAt, 2_000), TypeInformation.of(SpeechEvent.class));
        UnderstandingConfig config = new UnderstandingConfig();
        config.speculative = speculative;
        config.asrDecodersPerInstance = Math.min(4, sessions);
        config.asrMaxDecodersPerInstance = sessions + 1;
        String key = speculative ? "speculative" : "at-end";
        HISTOGRAMS.put(key, new Histogram(60_000_000L, 3));
        UnderstandingStreams out = UnderstandingPipeline.build(frameStream, eventStream, config);
        out.responses.filter(new FirstAudio(key)).sinkTo(new DiscardingSink<>());
        env.execute("answer-latency-" + key);
        return HISTOGRAMS.get(key);
    }

    static long diff(Map<String, Long> st, String from, String to) {
        Long a = st.get(from);
        Long b = st.get(to);
        return a == null || b == null ? 0 : b - a;
    }

    static void record(String key, long micros) {
        Histogram h = HISTOGRAMS.computeIfAbsent(key, k -> new Histogram(60_000_000L, 3));
        synchronized (h) {
            h.recordValue(Math.max(0, micros));
        }
    }

    /** Records, for every answer, the time from the end-of-turn decision to its first audio chunk. */
    static final class FirstAudio implements FilterFunction<AgentResponse> {
        private static final long serialVersionUID = 1L;
        private final String key;

        FirstAudio(String key) {
            this.key = key;
        }

        @Override
        public boolean filter(AgentResponse r) {
            if (r.getAudio() == null || !SEEN.add(key + r.getResponseId())) {
                return false;
            }
            long now = PaceBySessionClock.wallMicros();
            Map<String, Long> st = r.getTrace().getStages();
            Long decided = st.get("turn.decided");
            if (decided != null) {
                record(key, now - decided);
                record(key + " | event->asr", diff(st, "turn.decided", "asr.event.end_of_turn"));
                record(key + " | asr waits for audio", diff(st, "asr.event.end_of_turn", "asr.end_of_turn"));
                record(key + " | asr->answer commit", diff(st, "asr.end_of_turn", "respond.commit"));
                record(key + " | commit->first chunk", diff(st, "respond.commit", "tts.first"));
                record(key + " | first chunk->out", now - st.getOrDefault("tts.first", now));
            }
            return true;
        }
    }
}

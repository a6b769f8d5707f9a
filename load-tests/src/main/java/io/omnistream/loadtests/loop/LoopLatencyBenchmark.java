package io.omnistream.loadtests.loop;

import io.omnistream.operators.perception.ModelFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The product promise measured the way a customer experiences it: {@code omni run} (broker, Flink job, WebRTC
 * edge in this JVM) and one real headless Chromium on the real web client, whose fake microphone plays real speech
 * with known utterance ends ({@link LoopMedia}). The page times, on its own clock, the true end of each utterance to
 * the first non-silent sample of agent audio, and barge-ins (customer starts while the agent talks → agent audio
 * silent); {@link TraceCollector} adds every stage's {@code LatencyTrace} so the report shows where the time goes.
 *
 * <pre>
 * mvn -q -pl load-tests exec:exec -Dbench.main=io.omnistream.loadtests.loop.LoopLatencyBenchmark -Dbench.args="12"
 * </pre>
 * Arguments: utterances (default 12), silence after an answered utterance in s (default 6), silence before an
 * interrupting utterance in s (default 1.2), every n-th utterance is interrupted (default 3, 0 = never), and
 * {@code no-routing} to run with modality routing off ({@code omni run --no-routing}; default on).
 * Writes {@code load-tests/target/loop/loop-latency.html} and prints the RESULTS.md section.
 */
public final class LoopLatencyBenchmark {

    private LoopLatencyBenchmark() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 1) { // exec:exec passes -Dbench.args as one argument
            args = args[0].trim().split("[\\s,]+");
        }
        int turns = args.length > 0 ? Integer.parseInt(args[0].trim()) : 12;
        double answerGap = args.length > 1 ? Double.parseDouble(args[1]) : 6.0;
        double bargeGap = args.length > 2 ? Double.parseDouble(args[2]) : 1.2;
        int bargeEvery = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        // "no-routing": every path on every tick (issue 8's end-to-end latency with and without routing)
        boolean routing = args.length <= 4 || !"no-routing".equals(args[4].trim());
        Path work = Path.of("target", "loop").toAbsolutePath();
        Files.createDirectories(work);
        LoopMedia media = LoopMedia.write(work, ModelFiles.modelsDir(), turns, answerGap, bargeGap, bargeEvery);
        System.out.printf(Locale.ROOT, "loop: %d utterances, %.1f s of customer audio in %s%n", media.utterances.size(),
                media.durationSec, media.wav);

        ClassLoader previous = DevWebRoot.installFromProperty();
        System.out.println("loop: modality routing " + (routing ? "on" : "off (--no-routing)"));
        try (OmniRun running = routing ? new OmniRun(work.resolve("run-" + System.currentTimeMillis()))
                : new OmniRun(work.resolve("run-" + System.currentTimeMillis()), "--no-routing")) {
            Thread.currentThread().setContextClassLoader(previous);
            try (TraceCollector traces = new TraceCollector(running.kafkaBootstrap)) {
                Thread.sleep(3000); // let the job's sources reach the topics' end before the first chunk
                BrowserLoop.PageResult page = BrowserLoop.run(running.edgeUrl, media, work, Duration.ofSeconds(12),
                        System.out::println);
                Thread.sleep(500);
                edgeJitter = edgeJitterBuffer(running.edgeUrl);
                LoopAnalysis a = new LoopAnalysis(page, traces, media);
                Files.writeString(work.resolve("loop-latency-raw.json"), new io.vertx.core.json.JsonObject()
                        .put("turns", page.turns()).put("bargeIns", page.bargeIns()).put("latencyEvents", page.latencyEvents())
                        .put("calibration", page.calibration()).put("answers", page.answers()).put("captions", page.captions())
                        .put("errors", page.errors()).put("micActivity", page.micActivity()).put("pageUtterances", page.utterances()).put("utterances", new io.vertx.core.json.JsonArray(media.utterances.stream()
                                .map(u -> new io.vertx.core.json.JsonObject().put("startSec", u.startSec()).put("endSec", u.endSec())
                                        .put("bargesIn", u.bargesIn())).toList()))
                        .put("decisions", new io.vertx.core.json.JsonArray(traces.decisions(page.sessionId()).stream()
                                .map(e -> new io.vertx.core.json.JsonObject().put("type", e.getType().name()).put("turnId", e.getTurnId())
                                        .put("speechTimeMicros", e.getSpeechTimeMicros()).put("sessionTimeMicros", e.getSessionTimeMicros())
                                        .put("audioVisual", e.getAudioVisual())
                                        .put("decidedPageMs", TraceCollector.decidedMicros(e) / 1000.0 - page.timeOrigin())).toList()))
                        .encodePrettily());
                report(a, page, media, args, work.resolve("loop-latency.html"));
            }
        }
        System.exit(0); // Flink/Kafka leave non-daemon threads behind
    }

    private static String edgeJitter = "not read";

    /**
     * The edge's own audio timing from its Prometheus endpoint: receive jitter buffer delay and arrival jitter of the
     * customer's audio, the audio module's pull rate, and the agent audio clock's lateness and overruns.
     */
    static String edgeJitterBuffer(String edgeUrl) {
        try {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            String body = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(edgeUrl.replaceAll("/$", "") + "/metrics"))
                    .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            java.util.Map<String, Double> m = new java.util.HashMap<>();
            for (String line : body.split("\n")) {
                if (line.startsWith("omni_edge_")) {
                    int sp = line.lastIndexOf(' ');
                    try {
                        m.put(line.substring(0, sp).replaceAll("\\{edge_[^}]*}", ""), Double.parseDouble(line.substring(sp + 1)));
                    } catch (NumberFormatException e) {
                        // not a sample line
                    }
                }
            }
            StringBuilder out = new StringBuilder();
            out.append(summary(m, "omni_edge_audio_receive_jitter_buffer_milliseconds", "ms"));
            out.append("\n- edge receive arrival jitter of the customer's audio (RFC 3550, inbound-rtp): ")
                    .append(summary(m, "omni_edge_audio_receive_arrival_jitter_milliseconds", "ms"));
            out.append("\n- edge audio module pull (customer audio delivered per wall second): ratio ")
                    .append(summary(m, "omni_edge_audio_receive_pull_ratio", "")).append(String.format(Locale.ROOT,
                            "; pulls more than 20 ms apart: %.0f", m.getOrDefault("omni_edge_audio_receive_pull_gaps_total", Double.NaN)));
            out.append("\n- edge agent audio clock: lateness of its passes ")
                    .append(summary(m, "omni_edge_audio_clock_lateness_milliseconds", "ms"))
                    .append(String.format(Locale.ROOT, ", p50 %.2f / p95 %.2f / p99 %.2f ms; ticks %.0f, late (overrun) %.0f,"
                                    + " skipped %.0f, busy %.0f, errors %.0f; OS scheduling %s",
                            m.getOrDefault("omni_edge_audio_clock_lateness_milliseconds{quantile=\"0.5\"}", Double.NaN),
                            m.getOrDefault("omni_edge_audio_clock_lateness_milliseconds{quantile=\"0.95\"}", Double.NaN),
                            m.getOrDefault("omni_edge_audio_clock_lateness_milliseconds{quantile=\"0.99\"}", Double.NaN),
                            m.getOrDefault("omni_edge_audio_clock_ticks_total", Double.NaN),
                            m.getOrDefault("omni_edge_audio_clock_late_total", Double.NaN),
                            m.getOrDefault("omni_edge_audio_clock_skipped_total", Double.NaN),
                            m.getOrDefault("omni_edge_audio_clock_busy_total", Double.NaN),
                            m.getOrDefault("omni_edge_audio_clock_errors_total", Double.NaN),
                            switch (m.getOrDefault("omni_edge_audio_clock_os_priority", -1.0).intValue()) {
                                case 1 -> "default";
                                case 2 -> "nice -10";
                                case 3 -> "real-time round-robin";
                                case -1 -> "not reported (clock before issue 9's fourth session)";
                                default -> "unknown";
                            }))
                    .append(String.format(Locale.ROOT, "; webrtc network/worker threads given real-time scheduling: %.0f",
                            m.getOrDefault("omni_edge_media_threads_raised_total", Double.NaN)));
            return out.toString();
        } catch (Exception e) {
            return "not read: " + e;
        }
    }

    private static String summary(java.util.Map<String, Double> m, String name, String unit) {
        double sum = m.getOrDefault(name + "_sum", Double.NaN), count = m.getOrDefault(name + "_count", Double.NaN);
        String u = unit.isEmpty() ? "" : " " + unit;
        return String.format(Locale.ROOT, "mean %.2f%s over %.0f samples (max of the last minute %.2f%s)", sum / count, u,
                count, m.getOrDefault(name + "_max", Double.NaN), u);
    }

    /** The browser's view of the agent's audio: arrival jitter and jitter buffer delay, from {@code omni.agentRtp}. */
    static String browserAgentRtp(BrowserLoop.PageResult page) {
        List<Double> jitter = new ArrayList<>(), buffer = new ArrayList<>(), target = new ArrayList<>();
        for (Object o : page.agentRtp()) {
            io.vertx.core.json.JsonObject s = (io.vertx.core.json.JsonObject) o;
            if (s.getValue("jitterMs") instanceof Number n) {
                jitter.add(n.doubleValue());
            }
            if (s.getValue("bufferMs") instanceof Number n) {
                buffer.add(n.doubleValue());
            }
            if (s.getValue("targetMs") instanceof Number n) {
                target.add(n.doubleValue());
            }
        }
        return "arrival jitter of the agent's audio (RFC 3550) " + new Percentiles(jitter).summary()
                + "; jitter buffer delay (per-second mean) " + new Percentiles(buffer).summary()
                + "; jitter buffer target " + new Percentiles(target).summary();
    }

    static void report(LoopAnalysis a, BrowserLoop.PageResult page, LoopMedia media, String[] args, Path html)
            throws Exception {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "%s, %d utterances (%d meant to interrupt the agent), %.0f s of speech%n%n",
                Instant.now(), media.utterances.size(), media.utterances.stream().filter(LoopMedia.Utterance::bargesIn).count(),
                media.durationSec));
        md.append(String.format(Locale.ROOT, "- end of speech → first agent audio at the browser: %s (target p50 ≤ 200, p95 ≤ 300); "
                + "answers heard for %d of %d utterances (%d re-assigned to their utterance by the END_OF_TURN trace)%n",
                a.latency.summary(), a.latency.count(), a.utterances, a.reassociatedTurns));
        md.append(String.format(Locale.ROOT, "- barge-in, customer starts → agent audio silent at the browser: %s (target p95 ≤ 150)%n",
                a.bargeIn.summary()));
        md.append(String.format(Locale.ROOT, "- barge-in decided by turn-taking after the true start: %s%n",
                new Percentiles(a.bargeInDecidedMs).summary()));
        a.decidedMs.forEach((type, v) -> md.append(String.format(Locale.ROOT,
                "- true end of speech → turn-taking %s decided (server trace, calibrated page clock): %s%n", type,
                new Percentiles(v).summary())));
        List<Double> check = LoopAnalysis.micOnsetMinusTruth(page, media);
        md.append(String.format(Locale.ROOT, "- calibration check, page mic-detector onset − true utterance start: %s "
                + "(found for %d of %d utterances; median %.0f ms)%n", new Percentiles(check).summary(), check.size(),
                media.utterances.size(), new Percentiles(check).p(50)));
        md.append(String.format(Locale.ROOT, "- calibration: %s; captions %d, answer text deltas %d, page errors %s%n%n",
                LoopAnalysis.pageUtterances(page).size() + " of " + media.utterances.size() + " utterance beeps heard", page.captions().size(), page.answers().size(),
                page.errors().encode()));
        md.append("- edge receive jitter buffer (customer audio, WebRTC inbound-rtp, sampled each second): ").append(edgeJitter)
                .append("\n");
        md.append("- browser, agent audio (inbound-rtp, sampled each second): ").append(browserAgentRtp(page)).append("\n\n");
        md.append(a.stageTable());
        System.out.println("\n===== RESULTS.md (whole loop, browser) =====\n" + md);

        List<String> labels = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        a.turns.forEach(t -> {
            labels.add(String.valueOf(t.turnId() == null ? t.index() : t.turnId()));
            values.add(t.latencyMs());
        });
        HtmlReport r = new HtmlReport("Omnistream whole loop: browser to browser");
        r.paragraph("Command: mvn -q -pl load-tests exec:exec -Dbench.main=" + LoopLatencyBenchmark.class.getName()
                + " -Dbench.args=\"" + String.join(" ", args) + "\"");
        r.pre(md.toString());
        r.bars("End of speech → first agent audio per turn (page clock); dashed: 200 and 300 ms targets", labels, values,
                "ms", 200, 300);
        r.histogram("Latency distribution", values, 50, "ms");
        List<String> bl = new ArrayList<>();
        for (int i = 0; i < a.bargeInMs.size(); i++) {
            bl.add(String.valueOf(i + 1));
        }
        r.bars("Barge-in: customer starts → agent silent at the browser; dashed: 150 ms target", bl, a.bargeInMs, "ms", 150);
        r.heading("Where the milliseconds go (p50 per stage after the true end of speech)");
        r.table(a.stageTable());
        r.write(html);
        System.out.println("report: " + html);
    }
}

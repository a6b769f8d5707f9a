package io.omnistream.loadtests.loop;

import io.omnistream.connectors.edge.client.EdgeClient;
import io.omnistream.loadtests.eval.Recordings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Ramps WebRTC sessions (webrtc-java {@link EdgeClient}s, far cheaper than a browser each) against {@code omni run}
 * in a child process until p95 latency passes 300 ms, a session fails, or the last step is reached. Every client
 * sends audio (a real recording with known speech end, then silence, looped), a 640x480 camera at 15 fps and a
 * changing 1280x720 screen. Per step it records: end of speech → turn decided (from the END_OF_TURN
 * {@code LatencyTrace} on omni.events), end of speech → first agent audio at the client (when the system answers),
 * CPU per session of the system split into edge / Flink / Kafka / JVM threads, the system's RSS per session, and
 * the load generator's own CPU (so it can be subtracted on a shared machine).
 *
 * <pre>
 * mvn -q -pl load-tests exec:exec -Dbench.main=io.omnistream.loadtests.loop.LoopLoadBenchmark -Dbench.args="2,4,8,16,24,32 20"
 * </pre>
 * Arguments: session counts of the steps (comma-separated), measured seconds per step, and optionally
 * {@code all-steps} to keep ramping past the 300 ms p95 (to measure cost per session). The client timeline is
 * nominal (first sample 290 ms after the peer connects, 10 ms per push): when the load generator itself falls
 * behind, pushes are late and the latencies come out larger than they were, never smaller.
 */
public final class LoopLoadBenchmark {
    static final double SILENCE_SEC = 8.0;
    static final long SETTLE_MICROS = 290_000;

    /** One client and its timeline. */
    static final class Session {
        final EdgeClient client;
        final SpeechLoop speech;
        final long firstSampleEpochMicros;
        volatile long lastLoud;
        volatile long quietSinceNanos = System.nanoTime();
        volatile boolean agentOn;

        Session(EdgeClient client, SpeechLoop speech, long connectedEpochMicros) {
            this.client = client;
            this.speech = speech;
            this.firstSampleEpochMicros = connectedEpochMicros + SETTLE_MICROS;
        }

        /** Epoch micros of the latest true end of speech at or before {@code epochMicros}, or -1. */
        long trueEndBefore(long epochMicros) {
            long loop = speech.pcm48k.length;
            long sample = (epochMicros - firstSampleEpochMicros) * 48 / 1000;
            if (sample < speech.endSample) {
                return -1;
            }
            long k = (sample - speech.endSample) / loop;
            long endSample = speech.endSample + k * loop;
            return firstSampleEpochMicros + (endSample / 480) * 10_000 + 10_000; // pushed with its 10 ms chunk
        }
    }

    record Step(int sessions, double seconds, Percentiles decided, Percentiles audio, Map<String, Double> cpuPerSession,
            double systemCpuPerSession, double loadGenCpuPerSession, double rssMbPerSession, double rssMb, int threads,
            int fds, int failed, long answers) {}

    private LoopLoadBenchmark() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 1) {
            args = args[0].trim().split("\\s+");
        }
        List<Integer> steps = new ArrayList<>();
        for (String s : (args.length > 0 ? args[0] : "2,4,8,16,24,32").split(",")) {
            steps.add(Integer.parseInt(s.trim()));
        }
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        boolean stopOnLatency = args.length < 3 || !args[2].equals("all-steps"); // all-steps: cost per session at every step
        Path work = Path.of("target", "loop").toAbsolutePath();
        Files.createDirectories(work);
        List<short[]> recordings = Recordings.loadAll();

        List<Step> results = new ArrayList<>();
        List<Session> sessions = new ArrayList<>();
        String stopReason = "last step reached";
        try (SystemProcess system = SystemProcess.start(work.resolve("load-run-" + System.currentTimeMillis()), List.of())) {
            String kafka = system.kafkaBootstrap, url = system.edgeUrl;
            long pid = system.pid();
            long self = ProcessHandle.current().pid();
            ProcStats.Sample idle = ProcStats.sample(pid);
            List<Double> audioLatencies = new CopyOnWriteArrayList<>();
            Thread monitor = startAgentMonitor(sessions, audioLatencies);
            try (TraceCollector traces = new TraceCollector(kafka)) {
                Thread.sleep(3000);
                for (int n : steps) {
                    int failed = 0;
                    while (sessions.size() < n) {
                        int i = sessions.size();
                        SpeechLoop speech = new SpeechLoop(recordings.get(i % recordings.size()), SILENCE_SEC);
                        try {
                            EdgeClient c = EdgeClient.connect(url, EdgeClient.Options.all(speech.pcm48k), Duration.ofSeconds(30));
                            sessions.add(new Session(c, speech, Instant.now().toEpochMilli() * 1000));
                        } catch (Exception e) {
                            System.out.println("loop: session " + (i + 1) + " failed to connect: " + e);
                            failed++;
                            break;
                        }
                        Thread.sleep(300); // the edge's join rate limit is 5/s per IP
                    }
                    Thread.sleep(5000); // warm-up: first turns, encoders, key frames
                    audioLatencies.clear();
                    ProcStats.Sample s0 = ProcStats.sample(pid), g0 = ProcStats.sample(self);
                    long from = Instant.now().toEpochMilli() * 1000;
                    Thread.sleep(seconds * 1000L);
                    long to = Instant.now().toEpochMilli() * 1000;
                    ProcStats.Sample s1 = ProcStats.sample(pid), g1 = ProcStats.sample(self);
                    double wall = (s1.nanoTime() - s0.nanoTime()) / 1e9;
                    List<Double> decided = decidedLatencies(sessions, traces, from, to);
                    for (Session s : sessions) {
                        String st = s.client.state().name();
                        if (st.equals("FAILED") || st.equals("CLOSED") || !s.client.signalingErrors().isEmpty()) {
                            failed++;
                        }
                    }
                    Map<String, Double> cpu = new java.util.LinkedHashMap<>();
                    int k = sessions.size();
                    s1.cpuSeconds().forEach((g, v) -> cpu.put(g, (v - s0.cpuSeconds().get(g)) / wall / k * 100));
                    long answers = sessions.stream().mapToLong(s -> s.client.events().stream()
                            .filter(e -> "answer".equals(e.getString("type"))).count()).sum();
                    Step step = new Step(k, wall, new Percentiles(decided), new Percentiles(new ArrayList<>(audioLatencies)), cpu,
                            (s1.totalCpuSeconds() - s0.totalCpuSeconds()) / wall / k * 100,
                            (g1.totalCpuSeconds() - g0.totalCpuSeconds()) / wall / k * 100,
                            (s1.rssBytes() - idle.rssBytes()) / 1e6 / k, s1.rssBytes() / 1e6, s1.threads(), s1.fds(), failed, answers);
                    results.add(step);
                    System.out.printf(Locale.ROOT, "loop: %d sessions: decided %s; agent audio %s; system CPU %.1f%% of a core per"
                            + " session %s; load generator %.1f%%; RSS %.0f MB (+%.1f MB per session); %d failed%n",
                            k, step.decided().summary(), step.audio().summary(), step.systemCpuPerSession(), cpu,
                            step.loadGenCpuPerSession(), step.rssMb(), step.rssMbPerSession(), failed);
                    System.out.println("loop: busiest system threads " + ProcStats.busiestThreads(pid, 30));
                    double p95 = step.audio().count() > 0 ? step.audio().p(95) : step.decided().p(95);
                    if (failed > 0) {
                        stopReason = failed + " failed session(s) at " + k;
                        break;
                    }
                    if (p95 > 300 && stopOnLatency) {
                        stopReason = String.format(Locale.ROOT, "p95 %.0f ms > 300 ms at %d sessions", p95, k);
                        break;
                    }
                }
            } finally {
                monitor.interrupt();
                for (Session s : sessions) {
                    try {
                        s.client.close();
                    } catch (RuntimeException e) {
                        System.out.println("loop: close failed: " + e);
                    }
                }
            }
        }
        report(results, stopReason, args, work.resolve("loop-load.html"));
        System.exit(0);
    }

    /** END_OF_TURN decisions in [from, to): turn.decided minus the client's true end of speech, in ms. */
    static List<Double> decidedLatencies(List<Session> sessions, TraceCollector traces, long from, long to) {
        List<Double> out = new ArrayList<>();
        for (Session s : sessions) {
            String sid = s.client.sessionId();
            if (sid == null) {
                continue;
            }
            traces.turns(sid).values().forEach(t -> {
                Map<String, Long> st = t.endOfTurnStages;
                Long decided = st == null ? null : st.get("turn.decided");
                if (decided != null && decided >= from && decided < to) {
                    long end = s.trueEndBefore(decided);
                    if (end > 0 && decided - end < 5_000_000) {
                        out.add((decided - end) / 1000.0);
                    }
                }
            });
        }
        return out;
    }

    /** Polls every client's loud-agent-frame counter every 5 ms; an increase after 400 ms of quiet is an answer. */
    static Thread startAgentMonitor(List<Session> sessions, List<Double> latencies) {
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                long now = System.nanoTime();
                long epoch = Instant.now().toEpochMilli() * 1000;
                for (Session s : List.copyOf(sessions)) {
                    long loud = s.client.loudAgentFrames();
                    if (loud > s.lastLoud) {
                        if (!s.agentOn && now - s.quietSinceNanos > 400_000_000L) {
                            long end = s.trueEndBefore(epoch);
                            if (end > 0 && epoch - end < 5_000_000) {
                                latencies.add((epoch - end) / 1000.0);
                            }
                        }
                        s.agentOn = true;
                        s.lastLoud = loud;
                        s.quietSinceNanos = now;
                    } else if (now - s.quietSinceNanos > 400_000_000L) {
                        s.agentOn = false;
                    }
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "loop-agent-monitor");
        t.setDaemon(true);
        t.start();
        return t;
    }

    static void report(List<Step> steps, String stopReason, String[] args, Path html) throws Exception {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "%s, %d cores, stop: %s%n%n", Instant.now(),
                Runtime.getRuntime().availableProcessors(), stopReason));
        md.append("| sessions | end of speech → turn decided p50 / p95 ms | → first agent audio at client p50 / p95 ms | answers |"
                + " system CPU % of a core per session (edge / Flink / Kafka / JVM / other) | load generator CPU % per session |"
                + " system RSS MB (+ per session) | threads | fds | failed |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for (Step s : steps) {
            Map<String, Double> c = s.cpuPerSession();
            md.append(String.format(Locale.ROOT, "| %d | %.0f / %.0f (n=%d) | %s | %d | %.1f (%.1f / %.1f / %.1f / %.1f / %.1f) | %.1f | %.0f (+%.1f) | %d | %d | %d |%n",
                    s.sessions(), s.decided().p(50), s.decided().p(95), s.decided().count(),
                    s.audio().count() == 0 ? "no answers heard" : String.format(Locale.ROOT, "%.0f / %.0f (n=%d)", s.audio().p(50),
                            s.audio().p(95), s.audio().count()),
                    s.answers(), s.systemCpuPerSession(), c.get(ProcStats.EDGE), c.get(ProcStats.FLINK), c.get(ProcStats.KAFKA),
                    c.get(ProcStats.JVM), c.get(ProcStats.OTHER), s.loadGenCpuPerSession(), s.rssMb(), s.rssMbPerSession(),
                    s.threads(), s.fds(), s.failed()));
        }
        System.out.println("\n===== RESULTS.md (whole loop, load) =====\n" + md);
        HtmlReport r = new HtmlReport("Omnistream whole loop under load");
        r.paragraph("Command: mvn -q -pl load-tests exec:exec -Dbench.main=" + LoopLoadBenchmark.class.getName()
                + " -Dbench.args=\"" + String.join(" ", args) + "\"");
        r.table(md.substring(md.indexOf("|")));
        List<String> labels = steps.stream().map(s -> String.valueOf(s.sessions())).toList();
        r.bars("Sessions vs p95 end of speech → turn decided (ms); dashed: 200 / 300 ms", labels,
                steps.stream().map(s -> s.decided().p(95)).map(v -> v.isNaN() ? 0 : v).toList(), "ms", 200, 300);
        r.bars("Sessions vs p95 end of speech → first agent audio at the client (ms; 0 = none heard)", labels,
                steps.stream().map(s -> s.audio().p(95)).map(v -> v.isNaN() ? 0 : v).toList(), "ms", 200, 300);
        r.bars("Sessions vs system CPU per session (% of one core)", labels,
                steps.stream().map(Step::systemCpuPerSession).toList(), "%");
        List<Double> all = new ArrayList<>();
        steps.forEach(s -> {
            for (double v : s.decided().values()) {
                all.add(v);
            }
        });
        r.histogram("Distribution of end of speech → turn decided over all steps", all, 50, "ms");
        r.write(html);
        System.out.println("report: " + html);
    }
}

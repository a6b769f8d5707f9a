package io.omnistream.loadtests.loop;

import io.omnistream.connectors.edge.client.EdgeClient;
import io.omnistream.connectors.edge.client.ProcessMemory;
import io.omnistream.loadtests.eval.Recordings;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The soak: a fixed number of audio+camera+screen sessions ({@link EdgeClient}s, as in {@link LoopLoadBenchmark})
 * against {@code omni run} in a child JVM for a long time, sampling the system's live heap (after a full GC),
 * JVM-tracked native memory (NMT), RSS (which also holds the native libraries' own allocations: webrtc, ONNX
 * Runtime, PocketSphinx, Tesseract), threads and file descriptors. At the end every answer chunk that reached
 * {@code omni.agent} for a session is looked for at that session's client: missing ones are lost, ones that
 * arrived twice are duplicated.
 *
 * <pre>
 * mvn -q -pl load-tests exec:exec -Dbench.main=io.omnistream.loadtests.loop.SoakBenchmark -Dbench.args="2 30 60"
 * </pre>
 * Arguments: sessions, minutes, seconds between samples, and optionally glibc's {@code MALLOC_ARENA_MAX} for the
 * system's JVM (default 2: few malloc arenas, so native memory freed by one thread is reused by another instead of
 * staying resident in a per-thread arena; 0 = glibc's default of 8 per core). Growth is judged after a warm-up of a fifth of the run
 * (JIT, pools and Kafka buffers fill up first): the mean of the last third of the samples against the mean of the
 * first third after warm-up.
 */
public final class SoakBenchmark {
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
    private static final Pattern NMT_TOTAL = Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB");

    /** mallocMb: resident malloc mappings ({@link ProcessMemory#mallocBytes}), native memory outside the Java heap. */
    record Sample(double minute, double heapMb, double nmtMb, double rssMb, double mallocMb, int threads, int fds,
            double cpuPercent, int connected) {}

    private static String mallocArenaMax = "glibc default";

    private SoakBenchmark() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 1) {
            args = args[0].trim().split("\\s+");
        }
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        double minutes = args.length > 1 ? Double.parseDouble(args[1]) : 30;
        int every = args.length > 2 ? Integer.parseInt(args[2]) : 60;
        int arenas = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        mallocArenaMax = arenas > 0 ? Integer.toString(arenas) : "glibc default";
        Path work = Path.of("target", "loop").toAbsolutePath();
        Files.createDirectories(work);
        List<short[]> recordings = Recordings.loadAll();
        List<Sample> samples = new ArrayList<>();
        List<LoopLoadBenchmark.Session> sessions = new ArrayList<>();
        List<Double> latencies = new CopyOnWriteArrayList<>();
        String lossReport;
        try (SystemProcess system = SystemProcess.start(work.resolve("soak-run-" + System.currentTimeMillis()),
                List.of("-XX:NativeMemoryTracking=summary"),
                arenas > 0 ? Map.of("MALLOC_ARENA_MAX", Integer.toString(arenas)) : Map.of())) {
            long pid = system.pid();
            Thread monitor = LoopLoadBenchmark.startAgentMonitor(sessions, latencies);
            try (TraceCollector traces = new TraceCollector(system.kafkaBootstrap)) {
                Thread.sleep(3000);
                for (int i = 0; i < n; i++) {
                    SpeechLoop speech = new SpeechLoop(recordings.get(i % recordings.size()), LoopLoadBenchmark.SILENCE_SEC);
                    EdgeClient c = EdgeClient.connect(system.edgeUrl, EdgeClient.Options.all(speech.pcm48k), Duration.ofSeconds(30));
                    sessions.add(new LoopLoadBenchmark.Session(c, speech, Instant.now().toEpochMilli() * 1000));
                    Thread.sleep(300); // the edge's join rate limit
                }
                long start = System.nanoTime();
                long end = start + (long) (minutes * 60e9);
                ProcStats.Sample prev = ProcStats.sample(pid);
                while (System.nanoTime() < end) {
                    Thread.sleep(Math.min(every * 1000L, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                    ProcStats.Sample now = ProcStats.sample(pid);
                    double cpu = (now.totalCpuSeconds() - prev.totalCpuSeconds()) / ((now.nanoTime() - prev.nanoTime()) / 1e9) * 100;
                    prev = now;
                    int connected = (int) sessions.stream().filter(s -> s.client.state().name().equals("CONNECTED")).count();
                    Sample s = new Sample((System.nanoTime() - start) / 60e9, heapAfterGcMb(pid), nmtCommittedMb(pid),
                            now.rssBytes() / 1e6, ProcessMemory.mallocBytes(Long.toString(pid)) / 1e6, now.threads(), now.fds(),
                            cpu, connected);
                    samples.add(s);
                    System.out.printf(Locale.ROOT, "soak: %5.1f min heap %.0f MB, NMT %.0f MB, RSS %.0f MB, malloc %.0f MB, %d threads,"
                            + " %d fds, CPU %.0f%%, %d/%d connected, %d answers heard%n", s.minute(), s.heapMb(), s.nmtMb(), s.rssMb(),
                            s.mallocMb(),
                            s.threads(), s.fds(), s.cpuPercent(), connected, n, latencies.size());
                }
                // Every chunk the job produced for our sessions up to now must have reached its client by a few
                // seconds later, exactly once.
                Map<String, Set<String>> produced = new HashMap<>();
                long topicDuplicates = 0;
                for (LoopLoadBenchmark.Session s : sessions) {
                    if (s.client.sessionId() == null) {
                        continue; // never admitted: counted as not connected in the samples
                    }
                    Set<String> keys = new HashSet<>();
                    for (TraceCollector.Turn t : traces.turns(s.client.sessionId()).values()) {
                        keys.addAll(t.seen);
                        topicDuplicates += t.duplicateResponses.get();
                    }
                    produced.put(s.client.sessionId(), keys);
                }
                Thread.sleep(5000);
                long lost = 0, duplicated = 0, total = 0, stale = 0;
                for (LoopLoadBenchmark.Session s : sessions) {
                    Map<String, Integer> received = new HashMap<>();
                    for (JsonObject e : s.client.events()) {
                        if ("answer".equals(e.getString("type")) && e.containsKey("seq")) {
                            received.merge(e.getString("responseId") + "/" + e.getInteger("seq"), 1, Integer::sum);
                            if (e.getBoolean("stale", false)) {
                                stale++;
                            }
                        }
                    }
                    Set<String> want = produced.getOrDefault(s.client.sessionId() == null ? "" : s.client.sessionId(), Set.of());
                    total += want.size();
                    for (String k : want) {
                        if (!received.containsKey(k)) {
                            lost++;
                        }
                    }
                    duplicated += received.values().stream().filter(v -> v > 1).count();
                }
                lossReport = String.format(Locale.ROOT, "%d answer chunks produced on omni.agent for the %d sessions (%d"
                        + " duplicates replayed on the topic itself); at the clients: %d lost, %d received twice, %d delivered"
                        + " as stale (a newer answer had started, not played)", total, n, topicDuplicates, lost, duplicated, stale);
                System.out.println("soak: " + lossReport);
            } finally {
                monitor.interrupt();
                for (LoopLoadBenchmark.Session s : sessions) {
                    try {
                        s.client.close();
                    } catch (RuntimeException e) {
                        System.out.println("soak: close failed: " + e);
                    }
                }
            }
        }
        report(samples, lossReport, new Percentiles(new ArrayList<>(latencies)), args, n, minutes,
                work.resolve("soak.html"));
        System.exit(0);
    }

    static double heapAfterGcMb(long pid) throws IOException, InterruptedException {
        jcmd(pid, "GC.run");
        Matcher m = HEAP_USED.matcher(jcmd(pid, "GC.heap_info"));
        return m.find() ? Long.parseLong(m.group(1)) / 1024.0 : Double.NaN;
    }

    static double nmtCommittedMb(long pid) throws IOException, InterruptedException {
        Matcher m = NMT_TOTAL.matcher(jcmd(pid, "VM.native_memory", "summary"));
        return m.find() ? Long.parseLong(m.group(2)) / 1024.0 : Double.NaN;
    }

    private static String jcmd(long pid, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator
                + "jcmd", Long.toString(pid)));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }

    /** Mean of the last third minus the mean of the first third after warm-up (a fifth of the samples). */
    static double growth(List<Sample> samples, java.util.function.ToDoubleFunction<Sample> f) {
        List<Sample> steady = samples.subList(samples.size() / 5, samples.size());
        int third = Math.max(1, steady.size() / 3);
        double first = steady.subList(0, third).stream().mapToDouble(f).average().orElse(Double.NaN);
        double last = steady.subList(steady.size() - third, steady.size()).stream().mapToDouble(f).average().orElse(Double.NaN);
        return last - first;
    }

    static void report(List<Sample> samples, String lossReport, Percentiles latency, String[] args, int n, double minutes,
            Path html) throws IOException {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "%s, %d cores, %d sessions (audio + camera + screen), %.0f min, %d samples,"
                        + " system JVM MALLOC_ARENA_MAX=%s%n%n", Instant.now(), Runtime.getRuntime().availableProcessors(), n,
                minutes, samples.size(), mallocArenaMax));
        if (samples.size() >= 6) {
            md.append(String.format(Locale.ROOT, "| growth after warm-up (last third − first third) | heap after GC | NMT committed"
                            + " | RSS | malloc mappings | threads | fds |%n|---|---|---|---|---|---|---|%n"
                            + "| | %+.1f MB | %+.1f MB | %+.1f MB | %+.1f MB | %+.1f | %+.1f |%n%n",
                    growth(samples, Sample::heapMb), growth(samples, Sample::nmtMb), growth(samples, Sample::rssMb),
                    growth(samples, Sample::mallocMb),
                    growth(samples, s -> s.threads()), growth(samples, s -> s.fds())));
        }
        md.append("Responses: ").append(lossReport).append(".\n\n");
        md.append(String.format(Locale.ROOT, "End of speech → first agent audio at the clients over the soak: %s.%n%n",
                latency.count() == 0 ? "no answers heard" : latency.summary()));
        md.append("| minute | heap after GC MB | NMT committed MB | RSS MB | malloc MB | threads | fds | system CPU % | connected |\n"
                + "|---|---|---|---|---|---|---|---|---|\n");
        for (Sample s : samples) {
            md.append(String.format(Locale.ROOT, "| %.1f | %.0f | %.0f | %.0f | %.0f | %d | %d | %.0f | %d |%n", s.minute(),
                    s.heapMb(), s.nmtMb(), s.rssMb(), s.mallocMb(), s.threads(), s.fds(), s.cpuPercent(), s.connected()));
        }
        System.out.println("\n===== RESULTS.md (soak) =====\n" + md);
        HtmlReport r = new HtmlReport("Omnistream soak");
        r.paragraph("Command: mvn -q -pl load-tests exec:exec -Dbench.main=" + SoakBenchmark.class.getName()
                + " -Dbench.args=\"" + String.join(" ", args) + "\"");
        r.table(md.substring(md.indexOf("|")));
        List<String> labels = samples.stream().map(s -> String.format(Locale.ROOT, "%.0f", s.minute())).toList();
        r.bars("Heap after full GC (MB) by minute", labels, samples.stream().map(Sample::heapMb).toList(), "MB");
        r.bars("RSS (MB) by minute", labels, samples.stream().map(Sample::rssMb).toList(), "MB");
        r.bars("Resident malloc mappings (MB) by minute", labels, samples.stream().map(Sample::mallocMb).toList(), "MB");
        r.bars("Threads by minute", labels, samples.stream().map(s -> (double) s.threads()).toList(), "");
        r.bars("File descriptors by minute", labels, samples.stream().map(s -> (double) s.fds()).toList(), "");
        r.histogram("End of speech → first agent audio at the clients", new ArrayList<>(List.of(
                java.util.Arrays.stream(latency.values()).boxed().toArray(Double[]::new))), 100, "ms", 200, 300);
        r.write(html);
        System.out.println("report: " + html);
    }
}

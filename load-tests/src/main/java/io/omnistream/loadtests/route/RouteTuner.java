package io.omnistream.loadtests.route;

import io.omnistream.operators.perception.PerceptionConfig;
import io.omnistream.operators.perception.PerceptionFunction;
import io.omnistream.operators.perception.PerceptionPipeline;
import io.omnistream.operators.route.RouteConfig;
import io.omnistream.operators.route.RoutingPipeline;
import io.omnistream.operators.route.WorkCounter;
import io.omnistream.operators.turn.AgentActivity;
import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.operators.understand.UnderstandingPipeline;
import io.omnistream.operators.understand.UnderstandingStreams;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.AnalyticsRecord;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.ScreenText;
import io.omnistream.schemas.Transcript;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/**
 * Tunes and proves the modality router (issue 8): replays the turn-taking evaluation set and a realistic session mix
 * ({@link SessionMix}) through the real operators (router, perception, turn-taking and, for the final comparison,
 * ASR, OCR and the responder) in a Flink MiniCluster, with routing off (every path always on) and on; searches a
 * small grid of thresholds for the one that saves the most encoder work while its speech events agree with
 * always-on, then compares the chosen setting end to end: work per path (invocations and estimated FLOPs),
 * agreement of speech events, final transcripts, screen identifiers and answers, end-of-turn latency.
 *
 * <pre>
 * mvn -q -pl load-tests exec:exec -Dbench.main=io.omnistream.loadtests.route.RouteTuner \
 *     -Dbench.args="--customers 4 --mix 6 --mix-seconds 100 --out target/route/report.md"
 * </pre>
 * Options: {@code --customers N} (evaluation-set customers, 13 scenarios each), {@code --mix N} sessions of
 * {@code --mix-seconds S}, {@code --parallelism P}, {@code --group G} (sessions replayed concurrently), {@code --rate F} (frames per second of the runs with
 * understanding; 25 × G is real time),
 * {@code --grid small|full|none} (8, 16 or no grid points), {@code --out file}; {@code --only REGEX} replays only the
 * sessions whose id matches (e.g. {@code eval-.*} or {@code mix-.*}, to report each subset's savings),
 * {@code --dump-fused REGEX} also writes those sessions' fused frames of both runs ({@code target/route/*-fused.tsv},
 * one line per tick: energy, VAD, audio and speaking probability, drop, lips) for diffing them around a disagreement,
 * {@code --vad-restart-ms MS} sets the perception's VAD restart after silence in both runs (default 200, 0 = off).
 */
public final class RouteTuner {
    /** Estimated floating-point operations per invocation of each path (see RESULTS.md for how they were estimated). */
    static final Map<String, double[]> PATHS = new LinkedHashMap<>();

    static {
        // name -> {FLOPs per counted invocation}; counted invocation = tick (VAD: 640 samples = 1.25 Silero chunks of 1.7 MFLOP)
        PATHS.put("vad", new double[] {1.25 * 1.7e6});
        PATHS.put("faceDetect", new double[] {65e6});
        PATHS.put("lips", new double[] {16e6});
        PATHS.put("asr", new double[] {5e6});
        PATHS.put("ocr", new double[] {2e9});
        PATHS.put("textEncode", new double[] {0.7e9});
    }

    /** Pixels of the screen read for the OCR's estimated FLOPs per read (the mix's 720p pictures). */
    static final double OCR_PAGE_PIXELS = 1280.0 * 720;

    static final Map<String, String> PATH_NAMES = Map.of("vad", "Silero VAD (ticks)", "faceDetect", "BlazeFace (detections)",
            "lips", "lips: decode+track+mouth (pictures)", "asr", "PocketSphinx (ticks fed)", "ocr", "Tesseract OCR (reads)",
            "textEncode", "MiniLM (texts embedded)");

    /** What one run produced. */
    static final class Run {
        String label;
        RouteConfig routing;
        List<TunerRecord> records = new ArrayList<>();
        Map<String, Long> counts = new LinkedHashMap<>();
        long perceptionCpuNanos;
        long wallMillis;

        long count(String name) {
            return counts.getOrDefault(WorkCounter.PREFIX + name, 0L);
        }

        double flops(String path) {
            if (path.equals("ocr") && counts.containsKey(WorkCounter.PREFIX + "work.ocr.pixels")) {
                // by the pixels recognised: a read of a changed region costs its share of a whole 720p read
                return count("work.ocr.pixels") * PATHS.get(path)[0] / OCR_PAGE_PIXELS;
            }
            double f = count("work." + path + ".run") * PATHS.get(path)[0];
            if (path.equals("vad")) {
                f += count("work.vadPrime.run") * 1.7e6; // silent chunks that prime a VAD switched back on
            }
            return f;
        }

        double flops(Set<String> paths) {
            return paths.stream().mapToDouble(this::flops).sum();
        }
    }

    /** The perception's VAD restart after silence in both runs ({@code --vad-restart-ms}; 0 = the state runs on). */
    static long vadRestartMicros = PerceptionConfig.VAD_RESTART_AFTER_SILENCE_MICROS;

    private RouteTuner() {}

    /**
     * One replay. Perception-only runs go as fast as the machine allows (turn-taking depends only on each session's
     * frame order); runs with understanding are paced at {@code framesPerSecond} so that speech events reach the ASR
     * operator about as soon after their audio as in a live session (unpaced, the frames would run seconds ahead of
     * the events and the decoder would be fed audio past the end of speech).
     */
    static Run run(String label, Path sessionsFile, List<TunerSession> sessions, RouteConfig routing, boolean understand, int parallelism,
            int group, double framesPerSecond) throws Exception {
        return run(label, sessionsFile, sessions, routing, understand, parallelism, group, framesPerSecond, null);
    }

    /** As above; {@code dumpFused} (a regex of session ids, or null) also collects those sessions' fused frames. */
    static Run run(String label, Path sessionsFile, List<TunerSession> sessions, RouteConfig routing, boolean understand, int parallelism,
            int group, double framesPerSecond, String dumpFused) throws Exception {
        List<AgentActivity> agent = new ArrayList<>();
        for (TunerSession s : sessions) {
            if (s.agentSpeaking) {
                agent.add(new AgentActivity(s.id, "agent-" + s.id, true, 0));
            }
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism);
        long frames = TunerFrameSource.frameCount(sessions);
        DataGeneratorSource<PerceptionFrame> source = new DataGeneratorSource<>(new TunerFrameSource(sessionsFile, group, agent.isEmpty() ? 0 : 1500),
                frames, understand && framesPerSecond > 0 ? RateLimiterStrategy.perSecond(framesPerSecond) : RateLimiterStrategy.noOp(),
                TypeInformation.of(PerceptionFrame.class));
        DataStream<PerceptionFrame> frameStream = env.fromSource(source, eventTime(sessions, group), "tuner frames").setParallelism(1);
        DataStream<AgentActivity> agentStream = agent.isEmpty()
                ? env.fromData(new AgentActivity("none", "none", false, 0)).name("agent activity")
                : env.fromData(agent).name("agent activity");

        DataStream<PerceptionFrame> routed = RoutingPipeline.build(frameStream, agentStream, routing);
        PerceptionConfig pc = PerceptionConfig.defaults();
        pc.vadRestartAfterSilenceMicros = vadRestartMicros;
        PerceptionPipeline.Result perception = PerceptionPipeline.build(routed, agentStream, pc, routing);
        DataStream<TunerRecord> out = perception.events.map(e -> new TunerRecord(TunerRecord.EVENT, e.getSessionId(), e.getType().name(),
                e.getSessionTimeMicros(), e.getSpeechTimeMicros(), null)).returns(TunerRecord.class);
        if (dumpFused != null) {
            String pattern = dumpFused;
            out = out.union(perception.fused.filter(f -> f.sessionId.matches(pattern)).map(RouteTuner::fusedRecord).returns(TunerRecord.class));
        }
        if (understand) {
            UnderstandingConfig u = new UnderstandingConfig();
            u.asrDecodersPerInstance = 2;
            u.asrMaxDecodersPerInstance = Math.max(4, group);
            u.encodeNewTextOnly = routing.enabled;
            u.ocrChangedRegionOnly = routing.enabled;
            // The replay's frames may run seconds ahead of the speech events (perception is the bottleneck, the
            // frames are not); the ASR holds their audio until the watermark passes it, as live, but for as long as
            // it takes, so that both runs decode the same audio whatever the lag (live: at most 600 ms).
            u.asrMaxHoldMicros = 60_000_000;
            UnderstandingStreams understood = UnderstandingPipeline.build(routed, perception.events, u);
            out = out.union(understood.analytics.map(RouteTuner::record).returns(TunerRecord.class));
        }
        long t0 = System.currentTimeMillis();
        Run r = new Run();
        r.label = label;
        r.routing = routing;
        CloseableIterator<TunerRecord> it = out.collectAsync();
        JobClient client = env.executeAsync("route tuner: " + label);
        java.util.concurrent.CompletableFuture<JobExecutionResult> result = client.getJobExecutionResult();
        it.forEachRemaining(r.records::add);
        JobExecutionResult jr = result.get();
        try {
            it.close();
        } catch (Exception e) {
            // the per-job MiniCluster may already be gone once the bounded job finished
        }
        r.wallMillis = System.currentTimeMillis() - t0;
        for (Map.Entry<String, Object> e : jr.getAllAccumulatorResults().entrySet()) {
            if (e.getKey().startsWith(WorkCounter.PREFIX) && e.getValue() instanceof Number) {
                r.counts.put(e.getKey(), ((Number) e.getValue()).longValue());
            }
        }
        Object cpu = jr.getAccumulatorResult(PerceptionFunction.CPU_NANOS_ACCUMULATOR);
        r.perceptionCpuNanos = cpu instanceof Number ? ((Number) cpu).longValue() : 0;
        return r;
    }

    /**
     * Event time as in the live job, where every session's media clock lies on one time line: a session's ticks are
     * stamped with its session time plus the start of its group (groups are replayed one after another), so the
     * watermark moves with the replay and the operators that wait for it (the ASR's held audio, event-time timers)
     * behave as they do live.
     */
    static WatermarkStrategy<PerceptionFrame> eventTime(List<TunerSession> sessions, int group) {
        java.util.HashMap<String, Long> startMillis = new java.util.HashMap<>();
        long start = 1_000;
        for (int g = 0; g < sessions.size(); g += group) {
            long longest = 0;
            for (int s = g; s < Math.min(sessions.size(), g + group); s++) {
                startMillis.put(sessions.get(s).id, start);
                longest = Math.max(longest, sessions.get(s).audio.length / 16);
            }
            start += longest + 1_000;
        }
        return WatermarkStrategy.<PerceptionFrame>forMonotonousTimestamps()
                .withTimestampAssigner((f, previous) -> startMillis.get(f.getSessionId()) + f.getTickEndMicros() / 1000);
    }

    /** A fused frame as a record: everything turn-taking reads from it, for diffing two runs tick by tick. */
    static TunerRecord fusedRecord(io.omnistream.operators.fusion.FusedFrame f) {
        String v = String.format(Locale.ROOT, "e=%.2f\tvad=%.4f\taudioP=%.4f\tdrop=%s\tface=%s\tclosed=%s\tact=%.3f\topenD=%.3f\tcorr=%.3f\tp=%.4f\tbg=%s",
                f.energyDb, f.vadProbability, f.audioProbability, f.audioDropped, f.faceUsable, f.lipsClosed, f.lipActivity, f.lipOpenDelta,
                f.avCorrelation, f.speakingProbability, f.backgroundSpeech);
        return new TunerRecord(TunerRecord.FUSED, f.sessionId, Long.toString(f.tickIndex), f.tickStartMicros, 0, v);
    }

    private static TunerRecord record(AnalyticsRecord a) {
        Object p = a.getPayload();
        if (p instanceof Transcript) {
            Transcript t = (Transcript) p;
            return new TunerRecord(TunerRecord.FINAL, t.getSessionId(), Long.toString(t.getTurnId()), t.getEndMicros(), t.getStartMicros(), t.getText());
        }
        if (p instanceof ScreenText) {
            ScreenText s = (ScreenText) p;
            String ids = s.getIdentifiers().stream().map(i -> i.getType() + ":" + i.getValue()).collect(Collectors.joining("|"));
            return new TunerRecord(TunerRecord.SCREEN, s.getSessionId(), Long.toString(s.getFrameSeq()), s.getCaptureTimeMicros(), 0, ids);
        }
        AgentResponse r = (AgentResponse) p;
        return new TunerRecord(TunerRecord.ANSWER, r.getSessionId(), Long.toString(r.getTurnId()), r.getTurnId(), 0, r.getTextDelta());
    }

    /** The small grid: the hangovers and the gate that decide most of the perception work. */
    static List<RouteConfig> grid(RouteConfig base, boolean full) {
        List<RouteConfig> out = new ArrayList<>();
        for (float gate : new float[] {-55f, -50f}) {
            for (long vad : new long[] {200_000, 400_000}) {
                for (long face : new long[] {800_000, 1_200_000}) {
                    for (long track : full ? new long[] {0, 1_000_000} : new long[] {face == 800_000 ? 0 : 1_000_000}) {
                        RouteConfig c = base.copy();
                        c.gateDb = gate;
                        c.vadHangoverMicros = vad;
                        c.faceHangoverMicros = face;
                        c.faceTrackOnlyMicros = track;
                        out.add(c);
                    }
                }
            }
        }
        return out;
    }

    static final Set<String> PERCEPTION = Set.of("vad", "faceDetect", "lips");
    static final Set<String> TURN_DECISIONS = Set.of("SPEECH_START", "END_OF_TURN", "BARGE_IN");

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].contains(" ")) {
            args = args[0].trim().split("\\s+");
        }
        int customers = 4;
        int mix = 6;
        int mixSeconds = 100;
        int parallelism = 2;
        int group = 8;
        double rate = 400;
        boolean understand = true;
        boolean repeat = false; // compare always-on with itself: the replay's own run-to-run noise
        String gridMode = "small";
        String only = null; // regex: replay only the sessions whose id matches
        String dumpFused = null; // regex: also write these sessions' fused frames of both runs (diagnostics)
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--customers": customers = Integer.parseInt(args[++i]); break;
                case "--mix": mix = Integer.parseInt(args[++i]); break;
                case "--mix-seconds": mixSeconds = Integer.parseInt(args[++i]); break;
                case "--parallelism": parallelism = Integer.parseInt(args[++i]); break;
                case "--group": group = Integer.parseInt(args[++i]); break;
                case "--rate": rate = Double.parseDouble(args[++i]); break;
                case "--perception-only": understand = false; break;
                case "--repeat-always-on": repeat = true; break;
                case "--grid": gridMode = args[++i]; break;
                case "--out": out = Path.of(args[++i]); break;
                case "--only": only = args[++i]; break;
                case "--dump-fused": dumpFused = args[++i]; break;
                case "--vad-restart-ms": vadRestartMicros = Long.parseLong(args[++i]) * 1000; break;
                default: throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--customers N --mix N --mix-seconds S --parallelism P --group G --grid small|full|none --only REGEX --dump-fused REGEX --vad-restart-ms MS"
                        + " --perception-only --repeat-always-on --out report.md)");
            }
        }
        Path work = Path.of("target/route");
        Files.createDirectories(work);
        List<TunerSession> sessions = SessionMix.build(customers, mix, mixSeconds, work);
        if (only != null) {
            String pattern = only;
            sessions = sessions.stream().filter(s -> s.id.matches(pattern)).collect(Collectors.toList());
        }
        Path file = work.resolve("sessions.bin");
        SessionMix.write(sessions, file);
        long frames = TunerFrameSource.frameCount(sessions);
        log(String.format(Locale.ROOT, "%d sessions, %d frames (%.1f min of media)", sessions.size(), frames, frames * 0.04 / 60));

        StringBuilder report = new StringBuilder();
        RouteConfig chosen = RouteConfig.defaults();
        if (!gridMode.equals("none")) {
            Run offP = run("always-on (perception)", file, sessions, RouteConfig.disabled(), false, parallelism, group, rate);
            report.append("### Grid search (perception paths, speech events)\n\n")
                    .append("| gate dB | VAD hangover | face hangover | track-only | perception FLOPs saved | events agree | turn decisions agree | EOT delay mean (off → on) |\n")
                    .append("|---|---|---|---|---|---|---|---|\n");
            double best = -1;
            for (RouteConfig c : grid(RouteConfig.defaults(), gridMode.equals("full"))) {
                Run on = run("grid", file, sessions, c, false, parallelism, group, rate);
                double saved = 1 - on.flops(PERCEPTION) / Math.max(1, offP.flops(PERCEPTION));
                Agreement.Ratio ev = Agreement.events(offP.records, on.records, null);
                Agreement.Ratio turns = Agreement.events(offP.records, on.records, TURN_DECISIONS);
                double eotOff = Agreement.mean(Agreement.endOfTurnDelays(sessions, offP.records));
                double eotOn = Agreement.mean(Agreement.endOfTurnDelays(sessions, on.records));
                String row = String.format(Locale.ROOT, "| %.0f | %d ms | %d ms | %d ms | %.1f %% | %s | %s | %.0f → %.0f ms |", c.gateDb,
                        c.vadHangoverMicros / 1000, c.faceHangoverMicros / 1000, c.faceTrackOnlyMicros / 1000, 100 * saved, ev, turns,
                        eotOff / 1000, eotOn / 1000);
                log(row);
                boolean ok = ev.value() >= 0.99 && turns.value() >= 0.99 && eotOn <= eotOff + 1_000;
                if (ok && saved > best) {
                    best = saved;
                    chosen = c;
                }
                report.append(row).append(ok ? " ✓" : "").append('\n');
            }
            report.append("\n✓ = meets ≥ 99 % agreement of speech events and of turn decisions with no increase of the mean end-of-turn delay; "
                    + "the chosen setting is the ✓ row with the most work saved.\n\n");
        }
        if (repeat) {
            chosen = RouteConfig.disabled();
        }
        log("chosen: " + chosen + "; perception VAD restart after " + vadRestartMicros / 1000 + " ms of silence");
        Run offFull = run("always-on", file, sessions, RouteConfig.disabled(), understand, parallelism, group, rate, dumpFused);
        log("always-on done in " + offFull.wallMillis / 1000 + " s");
        Run onFull = run("routed", file, sessions, chosen, understand, parallelism, group, rate, dumpFused);
        if (dumpFused != null) {
            dump(offFull, work.resolve("always-on-fused.tsv"), true);
            dump(onFull, work.resolve("routed-fused.tsv"), true);
            offFull.records.removeIf(t -> t.kind.equals(TunerRecord.FUSED));
            onFull.records.removeIf(t -> t.kind.equals(TunerRecord.FUSED));
        }
        dump(offFull, work.resolve("always-on.tsv"), false);
        dump(onFull, work.resolve("routed.tsv"), false);
        log("routed done in " + onFull.wallMillis / 1000 + " s");
        report.append("### Chosen setting, end to end (router, perception, turn-taking, ASR, OCR, responder)\n\n");
        report.append("`").append(chosen).append("`; perception `vadRestartAfterSilenceMicros` = ").append(vadRestartMicros)
                .append(" (both runs)\n\n");
        report.append(summary(offFull, onFull, sessions));
        String command = "mvn -q -pl load-tests exec:exec -Dbench.main=" + RouteTuner.class.getName() + " -Dbench.args=\"" + String.join(" ", args) + "\"";
        report.append("\nReplayed ").append(sessions.size()).append(" sessions, ").append(frames).append(String.format(Locale.ROOT,
                " frames (%.1f min of media). Command: `%s`%n", frames * 0.04 / 60, command));
        System.out.println(report);
        if (out != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, report.toString());
        }
        System.exit(0);
    }

    static String summary(Run off, Run on, List<TunerSession> sessions) {
        StringBuilder sb = new StringBuilder();
        sb.append("| path | FLOPs / invocation (est.) | always-on | routed | saved |\n|---|---|---|---|---|\n");
        double fOff = 0;
        double fOn = 0;
        long iOff = 0;
        long iOn = 0;
        for (String p : PATHS.keySet()) {
            long a = off.count("work." + p + ".run");
            long b = on.count("work." + p + ".run");
            iOff += a;
            iOn += b;
            fOff += off.flops(p);
            fOn += on.flops(p);
            sb.append(String.format(Locale.ROOT, "| %s | %.1f M | %d | %d | %s |%n", PATH_NAMES.get(p), PATHS.get(p)[0] / 1e6, a, b,
                    a == 0 ? "–" : String.format(Locale.ROOT, "%.1f %%", 100.0 * (a - b) / a)));
        }
        sb.append(String.format(Locale.ROOT, "| OCR: whole-screen reads / changed-region reads / 720p screens recognised | | %d / %d / %.2f | %d / %d / %.2f | %s |%n",
                off.count("work.ocr.whole"), off.count("work.ocr.region"), off.count("work.ocr.pixels") / OCR_PAGE_PIXELS,
                on.count("work.ocr.whole"), on.count("work.ocr.region"), on.count("work.ocr.pixels") / OCR_PAGE_PIXELS,
                off.count("work.ocr.pixels") == 0 ? "–" : String.format(Locale.ROOT, "%.1f %% of the pixels",
                        100.0 * (off.count("work.ocr.pixels") - on.count("work.ocr.pixels")) / off.count("work.ocr.pixels"))));
        sb.append(String.format(Locale.ROOT, "| **all encoders, FLOPs** | | %.1f GFLOP | %.1f GFLOP | **%.1f %%** |%n", fOff / 1e9, fOn / 1e9,
                100 * (1 - fOn / Math.max(1, fOff))));
        sb.append(String.format(Locale.ROOT, "| all encoders, invocations | | %d | %d | %.1f %% |%n", iOff, iOn, 100.0 * (iOff - iOn) / Math.max(1, iOff)));
        sb.append(String.format(Locale.ROOT, "| perception CPU (measured, thread CPU time) | | %.1f s | %.1f s | %.1f %% |%n%n",
                off.perceptionCpuNanos / 1e9, on.perceptionCpuNanos / 1e9, 100.0 * (1 - (double) on.perceptionCpuNanos / Math.max(1, off.perceptionCpuNanos))));
        sb.append("Agreement with always-on: speech events (type, within one tick) ").append(Agreement.events(off.records, on.records, null))
                .append("; turn decisions (speech start, end of turn, barge-in) ").append(Agreement.events(off.records, on.records, TURN_DECISIONS))
                .append("; final transcripts (words) ").append(Agreement.transcripts(off.records, on.records))
                .append("; screen identifiers ").append(Agreement.identifiers(off.records, on.records))
                .append("; chosen answers ").append(Agreement.answers(off.records, on.records)).append(".\n\n");
        List<Long> eOff = Agreement.endOfTurnDelays(sessions, off.records);
        List<Long> eOn = Agreement.endOfTurnDelays(sessions, on.records);
        sb.append(String.format(Locale.ROOT, "End-of-turn decision after the true end of speech (session time): always-on mean %.0f ms, p50 %d, p95 %d (n=%d); "
                        + "routed mean %.0f ms, p50 %d, p95 %d (n=%d).%n%n", Agreement.mean(eOff) / 1000, Agreement.percentile(eOff, 50) / 1000,
                Agreement.percentile(eOff, 95) / 1000, eOff.size(), Agreement.mean(eOn) / 1000, Agreement.percentile(eOn, 50) / 1000,
                Agreement.percentile(eOn, 95) / 1000, eOn.size()));
        sb.append("Memory released: ").append(on.counts.entrySet().stream().filter(e -> e.getKey().startsWith(WorkCounter.PREFIX + "memory."))
                .map(e -> e.getKey().substring(WorkCounter.PREFIX.length()) + " " + e.getValue()).collect(Collectors.joining(", ")))
                .append(String.format(Locale.ROOT, ". Wall time: always-on %.0f s, routed %.0f s.%n", off.wallMillis / 1000.0, on.wallMillis / 1000.0));
        return sb.toString();
    }

    private static void dump(Run r, Path file, boolean fused) throws java.io.IOException {
        Files.writeString(file, r.records.stream().filter(t -> t.kind.equals(TunerRecord.FUSED) == fused)
                .sorted(java.util.Comparator.comparing((TunerRecord t) -> t.sessionId).thenComparingLong(t -> t.timeMicros))
                .map(t -> t.kind + "\t" + t.sessionId + "\t" + t.type + "\t" + t.timeMicros + "\t" + t.speechTimeMicros + "\t" + t.text)
                .collect(Collectors.joining("\n")));
    }

    private static void log(String s) {
        System.err.println("[route-tuner] " + s);
    }
}

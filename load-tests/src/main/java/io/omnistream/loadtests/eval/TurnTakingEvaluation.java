package io.omnistream.loadtests.eval;

import io.omnistream.operators.fusion.FusedFrame;
import io.omnistream.operators.perception.PerceptionConfig;
import io.omnistream.operators.perception.PerceptionFunction;
import io.omnistream.operators.perception.PerceptionPipeline;
import io.omnistream.operators.turn.AgentActivity;
import io.omnistream.operators.turn.TurnTakingFunction;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.SpeechEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
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
 * The perception / turn-taking evaluation harness: replays the generated sessions
 * ({@link EvalSetGenerator}) through the real operators ({@link PerceptionPipeline}: Silero VAD,
 * BlazeFace, lips, fusion, turn-taking) in a Flink MiniCluster, with an audio-visual and an
 * audio-only turn-taking variant side by side on the same fused frames, and reports
 * {@link EvalReport}'s figures plus the operators' CPU cost.
 *
 * <pre>
 * mvn -q -pl load-tests exec:exec -Dbench.main=io.omnistream.loadtests.eval.TurnTakingEvaluation \
 *     -Dbench.args="--customers 10 --parallelism 2 --lips parted --out target/eval/report.md --media target/eval/media"
 * </pre>
 * Options: {@code --scenarios a,b} (see {@link EvalSetGenerator#SCENARIOS}), {@code --set field=value} (any
 * {@link PerceptionConfig} field, for tuning runs); {@code -Domni.eval.dumpSession=<sessionId>} prints that
 * session's fused frames.
 */
public final class TurnTakingEvaluation {
    /** What one run produced. */
    public static final class Result {
        public List<EvalSession> sessions;
        public List<EvalEvent> events;
        public long frames;
        public long perceptionCpuNanos;
        public long turnCpuNanos;
        public long turnAudioOnlyCpuNanos;
        public long wallMillis;

        public double perceptionCpuMicrosPerTick() {
            return perceptionCpuNanos / 1000.0 / Math.max(1, frames);
        }

        /** CPU share of one core one live session needs (perception + audio-visual turn-taking). */
        public double coreShare() {
            return (perceptionCpuNanos + turnCpuNanos) / 1000.0 / Math.max(1, frames) / EvalFrameSource.TICK_MICROS;
        }
    }

    private TurnTakingEvaluation() {}

    public static Result run(List<String> scenarios, int customers, EvalSetGenerator.LipModel lips, PerceptionConfig config, int parallelism)
            throws Exception {
        List<EvalSession> sessions = EvalSetGenerator.fromDebianRecordings().withLipModel(lips).generate(scenarios, customers);
        long frames = EvalFrameSource.frameCount(sessions);
        List<AgentActivity> agent = new ArrayList<>();
        for (EvalSession s : sessions) {
            if (s.agentSpeaking) {
                agent.add(new AgentActivity(s.id, "agent-" + s.id, true, 0));
            }
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism);
        DataGeneratorSource<PerceptionFrame> source = new DataGeneratorSource<>(
                new EvalFrameSource(scenarios, customers, lips, agent.isEmpty() ? 0 : 1500), frames, RateLimiterStrategy.noOp(),
                TypeInformation.of(PerceptionFrame.class));
        DataStream<PerceptionFrame> frameStream = env.fromSource(source, WatermarkStrategy.noWatermarks(), "eval frames").setParallelism(1);
        DataStream<AgentActivity> agentStream = agent.isEmpty()
                ? env.fromData(new AgentActivity("none", "none", false, 0)).name("agent activity")
                : env.fromData(agent).name("agent activity");

        PerceptionPipeline.Result av = PerceptionPipeline.build(frameStream, agentStream, config);
        DataStream<SpeechEvent> audioOnly = PerceptionPipeline.turnTaking(av.fused, agentStream, config.audioOnly(), "turn-taking-audio-only");
        String dump = System.getProperty("omni.eval.dumpSession", "");
        if (!dump.isEmpty()) {
            av.fused.filter((FusedFrame f) -> f.sessionId.equals(dump)).map(FusedFrame::toString).returns(String.class).print();
        }
        DataStream<EvalEvent> offsets = av.fused
                .filter((FusedFrame f) -> f.tickIndex % 25 == 0 && f.faceUsable && f.avCorrelation >= config.correlationSpeakerThreshold)
                .map(f -> {
                    EvalEvent e = new EvalEvent();
                    e.mode = EvalEvent.OFFSET;
                    e.sessionId = f.sessionId;
                    e.type = "AV_OFFSET";
                    e.sessionTimeMicros = f.tickEndMicros;
                    e.value = f.avLagMicros;
                    e.confidence = f.avCorrelation;
                    return e;
                }).returns(EvalEvent.class);
        DataStream<EvalEvent> all = av.events.map(e -> EvalEvent.of(EvalEvent.AUDIO_VISUAL, e)).returns(EvalEvent.class)
                .union(audioOnly.map(e -> EvalEvent.of(EvalEvent.AUDIO_ONLY, e)).returns(EvalEvent.class), offsets);

        long t0 = System.currentTimeMillis();
        List<EvalEvent> events = new ArrayList<>();
        CloseableIterator<EvalEvent> it = all.collectAsync();
        JobClient client = env.executeAsync("perception + turn-taking evaluation");
        java.util.concurrent.CompletableFuture<JobExecutionResult> result = client.getJobExecutionResult();
        it.forEachRemaining(events::add);
        JobExecutionResult jr = result.get();
        try {
            it.close();
        } catch (Exception e) {
            // the per-job MiniCluster may already be gone once the bounded job finished; nothing left to release
        }
        Result r = new Result();
        r.sessions = sessions;
        r.events = events;
        r.frames = frames;
        r.wallMillis = System.currentTimeMillis() - t0;
        r.perceptionCpuNanos = accumulator(jr, PerceptionFunction.CPU_NANOS_ACCUMULATOR);
        r.turnCpuNanos = accumulator(jr, TurnTakingFunction.CPU_NANOS_ACCUMULATOR);
        r.turnAudioOnlyCpuNanos = accumulator(jr, TurnTakingFunction.CPU_NANOS_ACCUMULATOR + ".audioOnly");
        return r;
    }

    private static long accumulator(JobExecutionResult jr, String name) {
        Object v = jr.getAccumulatorResult(name);
        return v instanceof Number ? ((Number) v).longValue() : 0L;
    }

    public static String report(Result r, String command) {
        StringBuilder sb = new StringBuilder();
        sb.append(EvalReport.markdown(r.sessions, r.events)).append('\n');
        List<Long> offsetsDelayed = r.events.stream().filter(e -> e.mode.equals(EvalEvent.OFFSET) && e.sessionId.contains("av-offset"))
                .map(e -> e.value).collect(Collectors.toList());
        List<Long> offsetsAligned = r.events.stream().filter(e -> e.mode.equals(EvalEvent.OFFSET) && e.sessionId.contains("-clean-"))
                .map(e -> e.value).collect(Collectors.toList());
        sb.append(String.format(Locale.ROOT, "A/V offset estimate (video lag, from the lip/audio correlation): %s sessions with the video %d ms late: median %d ms "
                        + "(p10 %d, p90 %d, n=%d); clean sessions (true 0 ms): median %d ms (n=%d).%n%n",
                "av-offset", EvalSetGenerator.AV_OFFSET_MICROS / 1000, EvalReport.percentile(offsetsDelayed, 50) / 1000,
                EvalReport.percentile(offsetsDelayed, 10) / 1000, EvalReport.percentile(offsetsDelayed, 90) / 1000, offsetsDelayed.size(),
                EvalReport.percentile(offsetsAligned, 50) / 1000, offsetsAligned.size()));
        double minutes = r.frames * EvalFrameSource.TICK_MICROS / 60e6;
        sb.append(String.format(Locale.ROOT, "Replayed %d sessions, %d frames (%.1f min of media) in %.1f s wall.%n", r.sessions.size(), r.frames,
                minutes, r.wallMillis / 1000.0));
        sb.append(String.format(Locale.ROOT, "CPU (thread CPU time inside the operators): perception %.0f µs/tick, turn-taking %.1f µs/tick "
                        + "(audio-only variant %.1f µs/tick); one live session (25 ticks/s) needs %.2f %% of a core → %.0f sessions per core "
                        + "(operators only; excludes Kafka, alignment and serialisation).%n",
                r.perceptionCpuMicrosPerTick(), r.turnCpuNanos / 1000.0 / Math.max(1, r.frames),
                r.turnAudioOnlyCpuNanos / 1000.0 / Math.max(1, r.frames), 100 * r.coreShare(), 1 / Math.max(1e-9, r.coreShare())));
        if (command != null) {
            sb.append("\nCommand: `").append(command).append("`\n");
        }
        return sb.toString();
    }

    /** Sets one public field of the config from {@code name=value} (numbers and booleans), for tuning runs. */
    static void set(PerceptionConfig config, String assignment) throws ReflectiveOperationException {
        String[] kv = assignment.split("=", 2);
        java.lang.reflect.Field f = PerceptionConfig.class.getField(kv[0]);
        Class<?> t = f.getType();
        Object v = t == int.class ? Integer.valueOf(kv[1]) : t == long.class ? Long.valueOf(kv[1]) : t == float.class ? Float.valueOf(kv[1])
                : t == boolean.class ? Boolean.valueOf(kv[1]) : kv[1];
        f.set(config, v);
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].contains(" ")) { // -Dbench.args="..." arrives as one argument
            args = args[0].trim().split("\\s+");
        }
        int customers = 10;
        int parallelism = 2;
        List<String> scenarios = EvalSetGenerator.SCENARIOS;
        Path out = null;
        Path media = null;
        PerceptionConfig config = PerceptionConfig.defaults();
        EvalSetGenerator.LipModel lips = EvalSetGenerator.LipModel.PARTED;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--customers": customers = Integer.parseInt(args[++i]); break;
                case "--parallelism": parallelism = Integer.parseInt(args[++i]); break;
                case "--scenarios": scenarios = Arrays.asList(args[++i].split(",")); break;
                case "--out": out = Path.of(args[++i]); break;
                case "--media": media = Path.of(args[++i]); break;
                case "--set": set(config, args[++i]); break;
                case "--lips": lips = EvalSetGenerator.LipModel.valueOf(args[++i].toUpperCase(Locale.ROOT)); break;
                default: throw new IllegalArgumentException("unknown option " + args[i]
                        + " (options: --customers N --parallelism P --scenarios a,b --out report.md --media dir --lips parted|envelope --set configField=value)");
            }
        }
        if (media != null) {
            EvalSetGenerator.write(EvalSetGenerator.fromDebianRecordings().withLipModel(lips).generate(scenarios, customers), media);
        }
        Result r = run(scenarios, customers, lips, config, parallelism);
        String report = report(r, "mvn -q -pl load-tests exec:exec -Dbench.main=" + TurnTakingEvaluation.class.getName()
                + " -Dbench.args=\"" + String.join(" ", args) + "\"");
        System.out.println(report);
        if (out != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, report);
            Files.writeString(Path.of(out + ".events.tsv"), r.events.stream()
                    .map(e -> e.mode + "\t" + e.sessionId + "\t" + e.type + "\t" + e.sessionTimeMicros + "\t" + e.speechTimeMicros + "\t" + e.confidence + "\t" + e.value)
                    .collect(Collectors.joining("\n")));
        }
    }
}

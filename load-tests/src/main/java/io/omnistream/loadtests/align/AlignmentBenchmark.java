package io.omnistream.loadtests.align;

import io.omnistream.connectors.kafka.EmbeddedKafkaBroker;
import io.omnistream.connectors.kafka.KafkaConnectorConfig;
import io.omnistream.connectors.kafka.OmniKafkaProperties;
import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.connectors.kafka.serde.AvroDeserializer;
import io.omnistream.connectors.kafka.serde.AvroSerializer;
import io.omnistream.jobs.JobSinks;
import io.omnistream.jobs.JobSources;
import io.omnistream.jobs.PipelineConfig;
import io.omnistream.jobs.SessionPipelineJob;
import io.omnistream.operators.align.AlignConfig;
import io.omnistream.operators.align.MediaAligner;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.MediaKind;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.SessionControl;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Alignment benchmarks (issue 2):
 * <ul>
 *   <li>{@code throughput}: the aligner alone at parallelism 1 on a MiniCluster, fed by a generator with 50 sessions'
 *       audio + camera + screen mix; chunks per second of wall time and per CPU-second of the whole process.</li>
 *   <li>{@code latency}: the real session pipeline job on a MiniCluster against the embedded Kafka broker, 50 sessions
 *       produced in real time; added latency from the tick's last chunk entering Kafka to its frame read back from
 *       Kafka (HdrHistogram p50/p99).</li>
 * </ul>
 * Usage: {@code AlignmentBenchmark throughput|latency|all [sessions] [seconds]}. Prints a Markdown block.
 */
public final class AlignmentBenchmark {
    private static final String FRAMES = "omni.bench.frames";
    private static final boolean DIAG = Boolean.getBoolean("omni.bench.diag");

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "all";
        int sessions = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        System.out.println("## Alignment benchmark (" + sessions + " sessions, audio + camera + screen)");
        System.out.println("machine: " + Runtime.getRuntime().availableProcessors() + " cores, "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version"));
        if (mode.equals("throughput") || mode.equals("all")) {
            throughput(sessions, 3_000_000L);
        }
        if (mode.equals("latency") || mode.equals("all")) {
            latency(sessions, seconds);
        }
        System.exit(0);
    }

    static void throughput(int sessions, long chunks) throws Exception {
        SyntheticSessions mix = new SyntheticSessions(sessions, 1_700_000_000_000_000L);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, new Configuration());
        env.setBufferTimeout(10);
        DataGeneratorSource<MediaChunk> source = new DataGeneratorSource<>(mix::chunk, chunks,
                RateLimiterStrategy.noOp(), new AvroTypeInfo<>(MediaChunk.class));
        // One control record of a session that never sends media: the aligner ignores it.
        SessionControl noControl = SessionControl.newBuilder().setSessionId("bench-no-such-session")
                .setType(io.omnistream.schemas.ControlType.ENDED).setEdgeId("bench").setTimeMicros(0).build();
        env.fromSource(source, WatermarkStrategy.<MediaChunk>forBoundedOutOfOrderness(Duration.ofMillis(40))
                                .withTimestampAssigner((c, t) -> c.getCaptureTimeMicros() / 1000), "generator")
                .keyBy(MediaChunk::getSessionId)
                .connect(env.fromData(new AvroTypeInfo<>(SessionControl.class), noControl)
                        .keyBy(SessionControl::getSessionId))
                .process(new MediaAligner(new AlignConfig()), new AvroTypeInfo<>(PerceptionFrame.class))
                .sinkTo(new DiscardingSink<>());

        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        env.execute("alignment-throughput");
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        System.out.printf("%n### Throughput (aligner, parallelism 1, generator source, discarding sink)%n");
        System.out.printf("| chunks | wall s | chunks/s (wall) | process CPU s | chunks per CPU-second |%n|---|---|---|---|---|%n");
        System.out.printf("| %,d | %.1f | %,.0f | %.1f | %,.0f |%n", chunks, wall, chunks / wall, cpu, chunks / cpu);
        System.out.printf("(%d sessions produce %.0f chunks/s of session time, so one core aligns about %.0f such sessions)%n",
                sessions, mix.chunksPerSecond(), chunks / cpu / (mix.chunksPerSecond() / sessions));
    }

    static void latency(int sessions, int seconds) throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().port(0).build().start()) {
            String bootstrap = broker.bootstrapServers();
            OmniTopics.createAll(bootstrap, 4);
            OmniTopics.create(bootstrap, List.of(FRAMES), 4, (short) 1);

            PipelineConfig config = new PipelineConfig();
            config.checkpointInterval = Duration.ZERO;
            config.alignOnly = true; // validation + alignment: the stages this benchmark is about
            KafkaConnectorConfig kafka = KafkaConnectorConfig.live();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1,
                    SessionPipelineJob.flinkConfiguration(config));
            JobClient job = new SessionPipelineJob(JobSources.kafka(bootstrap, kafka),
                    JobSinks.kafka(bootstrap, kafka, FRAMES), config).executeAsync(env);

            Histogram added = new Histogram(3_600_000_000L, 3);
            AtomicLong frames = new AtomicLong();
            AtomicLong measureFrom = new AtomicLong(Long.MAX_VALUE);
            AtomicBoolean stop = new AtomicBoolean(false);
            Thread consumer = new Thread(() -> consume(bootstrap, added, frames, measureFrom, stop), "frames-consumer");
            consumer.start();
            Thread.sleep(8_000); // the job's sources subscribe from the latest offsets: let them start first

            SyntheticSessions mix = new SyntheticSessions(sessions, 0);
            Properties props = OmniKafkaProperties.lowLatencyProducer(bootstrap);
            long produced = 0;
            try (KafkaProducer<String, MediaChunk> producer = new KafkaProducer<>(props, new StringSerializer(),
                    new AvroSerializer<>(MediaChunk.class))) {
                long origin = nowMicros() / 1_000_000 * 1_000_000 + 1_000_000;
                long rounds = seconds * 50L;
                for (long r = 0; r < rounds; r++) {
                    long capture = origin + r * SyntheticSessions.AUDIO_MICROS;
                    sleepUntilMicros(capture + SyntheticSessions.AUDIO_MICROS); // a chunk is sent once complete
                    if (r == 150) {
                        measureFrom.set(nowMicros()); // 3 s of warm-up: only media sent after it counts
                    }
                    for (int s = 0; s < sessions; s++) {
                        produced += send(producer, mix, s, MediaKind.AUDIO, r, capture);
                        if (r % 3 == 0) {
                            produced += send(producer, mix, s, MediaKind.CAMERA, r, capture);
                        }
                        if (r % 100 == 0) {
                            produced += send(producer, mix, s, MediaKind.SCREEN, r, capture);
                        }
                    }
                }
            }
            Thread.sleep(2_000);
            stop.set(true);
            consumer.join();
            job.cancel().get();

            System.out.printf("%n### Added latency, Kafka in → frame out (real job: validation + alignment, fast path, %d sessions, %d s)%n", sessions, seconds);
            System.out.printf("Measured from the produce time of the newest chunk in a frame to the frame read back from Kafka.%n");
            System.out.printf("| chunks produced | frames measured | p50 ms | p90 ms | p99 ms | max ms |%n|---|---|---|---|---|---|%n");
            System.out.printf("| %,d | %,d | %.1f | %.1f | %.1f | %.1f |%n", produced, added.getTotalCount(),
                    added.getValueAtPercentile(50) / 1000.0, added.getValueAtPercentile(90) / 1000.0,
                    added.getValueAtPercentile(99) / 1000.0, added.getMaxValue() / 1000.0);
            System.out.printf("frames received in total: %,d%n", frames.get());
        }
    }

    private static int send(KafkaProducer<String, MediaChunk> producer, SyntheticSessions mix, int s, MediaKind kind,
            long round, long capture) {
        MediaChunk chunk = mix.chunk(s, kind, round, capture, nowMicros());
        producer.send(new ProducerRecord<>(OmniTopics.mediaTopic(kind), chunk.getSessionId(), chunk));
        return 1;
    }

    private static void consume(String bootstrap, Histogram added, AtomicLong frames, AtomicLong measureFrom,
            AtomicBoolean stop) {
        Properties props = OmniKafkaProperties.lowLatencyConsumer(bootstrap);
        props.put("group.id", "alignment-benchmark");
        props.put("auto.offset.reset", "latest");
        try (KafkaConsumer<String, PerceptionFrame> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new AvroDeserializer<>(PerceptionFrame.class))) {
            consumer.subscribe(List.of(FRAMES));
            while (!stop.get()) {
                for (ConsumerRecord<String, PerceptionFrame> r : consumer.poll(Duration.ofMillis(5))) {
                    long now = nowMicros();
                    frames.incrementAndGet();
                    PerceptionFrame f = r.value();
                    if (f.getMaxArrivalTimeMicros() >= measureFrom.get()) {
                        long v = Math.max(0, now - f.getMaxArrivalTimeMicros());
                        added.recordValue(v);
                        if (DIAG) {
                            System.out.printf("diag tick=%d screen=%s cam=%s emitLag=%d total=%d%n", f.getTickIndex(),
                                    f.getScreen() != null, f.getCamera() == null ? -1 : f.getCamera().getSeq(),
                                    f.getEmitTimeMicros() - f.getMaxArrivalTimeMicros(), v);
                        }
                    }
                }
            }
        }
    }

    static long nowMicros() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    }

    private static void sleepUntilMicros(long wallMicros) throws InterruptedException {
        long wait = wallMicros - nowMicros();
        if (wait > 0) {
            Thread.sleep(wait / 1000, (int) (wait % 1000) * 1000);
        }
    }

    private AlignmentBenchmark() {}
}

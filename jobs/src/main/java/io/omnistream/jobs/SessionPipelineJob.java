package io.omnistream.jobs;

import io.omnistream.connectors.kafka.dlq.DeadLetterSplitter;
import io.omnistream.connectors.kafka.serde.Decoded;
import io.omnistream.connectors.kafka.validation.MediaValidationFunction;
import io.omnistream.jobs.gpu.GpuJobStages;
import io.omnistream.operators.align.MediaAligner;
import io.omnistream.operators.gpu.GpuStages;
import io.omnistream.operators.perception.PerceptionConfig;
import io.omnistream.operators.perception.PerceptionPipeline;
import io.omnistream.operators.route.RoutingPipeline;
import io.omnistream.operators.turn.AgentActivity;
import io.omnistream.operators.understand.UnderstandingPipeline;
import io.omnistream.operators.understand.UnderstandingStreams;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.OmniEvent;
import io.omnistream.schemas.SpeechEvent;
import io.omnistream.schemas.DeadLetter;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.SessionControl;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The per-session pipeline: media and control from Kafka → validation (bad records to the dead-letter topic) →
 * event-time alignment into one {@link PerceptionFrame} per session and tick → modality routing (which paths run
 * this tick, stamped on the frame) → perception (log-mel, VAD, lips),
 * early audio-visual fusion and turn-taking ({@link SpeechEvent}s) → streaming ASR, screen OCR, the responder and
 * speech synthesis. Speech events, captions and screen text go to {@code omni.events}, the answer (text and audio)
 * to {@code omni.agent}, final transcripts, screen text and answers to {@code omni.analytics}.
 *
 * <p>Sources and sinks come in through the constructor, so tests wire bounded or test sources into the very same
 * graph that {@code omni run} and {@code omni submit} run.
 */
public final class SessionPipelineJob {
    private final JobSources sources;
    private final JobSinks sinks;
    private final PipelineConfig config;

    public SessionPipelineJob(JobSources sources, JobSinks sinks, PipelineConfig config) {
        this.sources = sources;
        this.sinks = sinks;
        this.config = config;
        config.align.validate();
        config.routing.validate();
    }

    /** Flink settings the job relies on, to be applied when the environment is created. */
    public static Configuration flinkConfiguration(PipelineConfig config) {
        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, config.stateBackend);
        return conf;
    }

    /** Adds the job's operators to {@code env}. */
    public void build(StreamExecutionEnvironment env) {
        env.setParallelism(config.parallelism);
        env.setBufferTimeout(config.bufferTimeout.toMillis());
        if (!config.checkpointInterval.isZero()) {
            env.enableCheckpointing(config.checkpointInterval.toMillis());
        }

        var watermarks = MediaWatermarks.strategy(config.align.outOfOrderness, config.align.idleness);
        DataStream<Decoded<MediaChunk>> media = env.fromSource(sources.audio(), watermarks, "omni.media.audio")
                .union(env.fromSource(sources.video(), watermarks, "omni.media.video"),
                        env.fromSource(sources.screen(), watermarks, "omni.media.screen"));

        SingleOutputStreamOperator<MediaChunk> valid = media
                .keyBy(MediaValidationFunction.sessionKey())
                .process(new MediaValidationFunction(config.validation), new AvroTypeInfo<>(MediaChunk.class))
                .name("validate-media").uid("validate-media");
        KeyedStream<MediaChunk, String> bySession =
                DataStreamUtils.reinterpretAsKeyedStream(valid, MediaChunk::getSessionId, TypeInformation.of(String.class));

        SingleOutputStreamOperator<SessionControl> control = env
                .fromSource(sources.control(), MediaWatermarks.neverHoldsBack(), "omni.control")
                .process(new DeadLetterSplitter<SessionControl>(), new AvroTypeInfo<>(SessionControl.class))
                .name("decode-control").uid("decode-control");

        SingleOutputStreamOperator<PerceptionFrame> frames = bySession
                .connect(control.keyBy(SessionControl::getSessionId))
                .process(new MediaAligner(config.align), new AvroTypeInfo<>(PerceptionFrame.class))
                .name("align").uid("align");

        DataStream<DeadLetter> late = frames.getSideOutput(MediaAligner.LATE_MEDIA)
                .map(SessionPipelineJob::lateChunkLetter, new AvroTypeInfo<>(DeadLetter.class))
                .name("late-media");
        valid.getSideOutput(DeadLetterSplitter.DEAD_LETTERS)
                .union(control.getSideOutput(DeadLetterSplitter.DEAD_LETTERS), late)
                .sinkTo(sinks.deadLetters()).name("omni.dlq").uid("sink-dlq");

        if (sinks.frames() != null) {
            frames.sinkTo(sinks.frames()).name("frames").uid("sink-frames");
        }
        if (config.alignOnly) {
            return;
        }

        DataStream<AgentActivity> agentActivity = agentActivity(env, frames);
        // perception and understanding consume the routed frames, so every one of them obeys the same decision
        DataStream<PerceptionFrame> routed = RoutingPipeline.build(frames, agentActivity, config.routing);
        config.understanding.encodeNewTextOnly = config.routing.enabled;
        config.understanding.ocrChangedRegionOnly = config.routing.enabled;
        PerceptionConfig perceptionConfig = GpuStages.perceptionConfig(config.perception, config.gpu);
        PerceptionPipeline.Result perception = PerceptionPipeline.build(
                GpuJobStages.beforePerception(routed, perceptionConfig, config.routing, config.gpu), agentActivity,
                perceptionConfig, config.routing);
        GpuJobStages.add(routed, perception.fused, config.gpu, sinks.features());
        UnderstandingStreams understood = UnderstandingPipeline.build(routed, perception.events, config.understanding,
                config.remoteModel == null ? null : new RemoteOmniModelStage(config.remoteModel));

        var eventType = new AvroTypeInfo<>(OmniEvent.class);
        DataStream<OmniEvent> events = perception.events
                .map(e -> new OmniEvent(e.getSessionId(), e), eventType).name("speech-events")
                .union(understood.transcripts.map(t -> new OmniEvent(t.getSessionId(), t), eventType).name("caption-events"),
                        understood.screenText.map(t -> new OmniEvent(t.getSessionId(), t), eventType).name("screen-events"));
        if (sinks.events() != null) {
            events.sinkTo(sinks.events()).name("omni.events").uid("sink-events");
        }
        if (sinks.agent() != null) {
            understood.responses.sinkTo(sinks.agent()).name("omni.agent").uid("sink-agent");
        }
        if (sinks.analytics() != null) {
            understood.analytics.sinkTo(sinks.analytics()).name("omni.analytics").uid("sink-analytics");
        }
    }

    /**
     * Whether the agent is speaking to each session, derived from {@code omni.agent} read back as a source (a loop
     * through Kafka, not a back edge). Without an agent source the stream is empty.
     */
    private DataStream<AgentActivity> agentActivity(StreamExecutionEnvironment env, DataStream<PerceptionFrame> frames) {
        if (sources.agent() == null) {
            return frames.flatMap((PerceptionFrame f, org.apache.flink.util.Collector<AgentActivity> out) -> { },
                    TypeInformation.of(AgentActivity.class)).name("no-agent");
        }
        SingleOutputStreamOperator<AgentResponse> responses = env
                .fromSource(sources.agent(), MediaWatermarks.neverHoldsBack(), "omni.agent (read back)")
                .process(new DeadLetterSplitter<AgentResponse>(), new AvroTypeInfo<>(AgentResponse.class))
                .name("decode-agent").uid("decode-agent");
        return responses.keyBy(AgentResponse::getSessionId)
                .process(new AgentSpeaking(), TypeInformation.of(AgentActivity.class))
                .name("agent-speaking").uid("agent-speaking");
    }

    /** Builds the job in {@code env} and starts it without waiting for it to end. */
    public JobClient executeAsync(StreamExecutionEnvironment env) throws Exception {
        build(env);
        return env.executeAsync(config.jobName);
    }

    /** Builds the job in {@code env} and runs it to the end (bounded sources) or until cancelled. */
    public void execute(StreamExecutionEnvironment env) throws Exception {
        build(env);
        env.execute(config.jobName);
    }

    /** A chunk that came after its frame was emitted: not an error of the sender, but not silently lost either. */
    static DeadLetter lateChunkLetter(MediaChunk chunk) {
        return DeadLetter.newBuilder()
                .setSourceTopic("omni.media." + chunk.getKind().name().toLowerCase())
                .setKey(ByteBuffer.wrap(chunk.getSessionId().getBytes(StandardCharsets.UTF_8)))
                .setValue(null)
                .setReason("LATE_CHUNK")
                .setDetail("seq " + chunk.getSeq() + " captured at " + chunk.getCaptureTimeMicros()
                        + " arrived after its frame was emitted")
                .setTimeMicros(System.currentTimeMillis() * 1000)
                .build();
    }
}

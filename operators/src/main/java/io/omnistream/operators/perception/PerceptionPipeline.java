package io.omnistream.operators.perception;

import io.omnistream.operators.audio.TickLogMel;
import io.omnistream.operators.fusion.FusedFrame;
import io.omnistream.operators.turn.AgentActivity;
import io.omnistream.operators.turn.TurnTakingFunction;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.SpeechEvent;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * The one entry point the job uses to add perception and turn-taking to its graph:
 * aligned {@link PerceptionFrame}s (plus the agent's {@link AgentActivity}) in, {@link SpeechEvent}s
 * and the {@link FusedFrame} features out. Both operators are keyed by sessionId.
 *
 * <pre>{@code
 * PerceptionPipeline.Result r = PerceptionPipeline.build(frames, agentActivity, PerceptionConfig.defaults());
 * r.events   // SpeechEvent: SPEECH_START, SPEECH_END, END_OF_TURN, BARGE_IN, BACKGROUND_SPEECH
 * r.fused    // FusedFrame per tick: VAD, energy, lips, A/V correlation/offset, P(speaking), background flag
 * r.logMel   // TickLogMel per tick: 128-bin log-mel frames (10 ms hop), causal normalisation
 * }</pre>
 */
public final class PerceptionPipeline {
    public static final String PERCEPTION_UID = "perception";
    public static final String TURN_UID = "turn-taking";

    private PerceptionPipeline() {}

    /** The streams the pipeline adds. */
    public static final class Result {
        /** One per aligned frame: VAD, energy, lips, A/V correlation and offset, P(speaking), background flag. */
        public final SingleOutputStreamOperator<FusedFrame> fused;
        /** Turn-taking decisions. */
        public final SingleOutputStreamOperator<SpeechEvent> events;
        /** The audio front-end's log-mel frames per tick (empty when {@code logMelEnabled} is false). */
        public final DataStream<TickLogMel> logMel;

        Result(SingleOutputStreamOperator<FusedFrame> fused, SingleOutputStreamOperator<SpeechEvent> events) {
            this.fused = fused;
            this.events = events;
            this.logMel = fused.getSideOutput(PerceptionFunction.LOG_MEL);
        }
    }

    public static Result build(DataStream<PerceptionFrame> frames, DataStream<AgentActivity> agent, PerceptionConfig config) {
        return build(frames, agent, config, io.omnistream.operators.route.RouteConfig.defaults());
    }

    /** As {@link #build(DataStream, DataStream, PerceptionConfig)}, on routed frames with these routing settings. */
    public static Result build(DataStream<PerceptionFrame> frames, DataStream<AgentActivity> agent, PerceptionConfig config,
            io.omnistream.operators.route.RouteConfig routing) {
        SingleOutputStreamOperator<FusedFrame> fused = perceive(frames, config, routing);
        return new Result(fused, turnTaking(fused, agent, config, TURN_UID));
    }

    /** Audio front-end, VAD, face/lips and early fusion: one {@link FusedFrame} per frame. */
    public static SingleOutputStreamOperator<FusedFrame> perceive(DataStream<PerceptionFrame> frames, PerceptionConfig config) {
        return perceive(frames, config, io.omnistream.operators.route.RouteConfig.defaults());
    }

    public static SingleOutputStreamOperator<FusedFrame> perceive(DataStream<PerceptionFrame> frames, PerceptionConfig config,
            io.omnistream.operators.route.RouteConfig routing) {
        return frames
                .keyBy(PerceptionFrame::getSessionId, Types.STRING)
                .process(new PerceptionFunction(config, routing))
                .returns(TypeInformation.of(FusedFrame.class))
                .uid(PERCEPTION_UID)
                .name("perception: audio, VAD, lips, early fusion");
    }

    /** Turn-taking on fused frames; {@code uid} lets one graph hold several variants (e.g. audio-only vs audio-visual). */
    public static SingleOutputStreamOperator<SpeechEvent> turnTaking(DataStream<FusedFrame> fused, DataStream<AgentActivity> agent,
            PerceptionConfig config, String uid) {
        return fused
                .keyBy((FusedFrame f) -> f.sessionId, Types.STRING)
                .connect(agent.keyBy((AgentActivity a) -> a.sessionId, Types.STRING))
                .process(new TurnTakingFunction(config))
                .uid(uid)
                .name("turn-taking" + (config.audioVisual ? "" : " (audio-only)"));
    }
}

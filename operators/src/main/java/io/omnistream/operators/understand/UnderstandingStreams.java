package io.omnistream.operators.understand;

import io.omnistream.operators.asr.TurnUpdate;
import io.omnistream.operators.turn.AgentActivity;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.AnalyticsRecord;
import io.omnistream.schemas.ScreenText;
import io.omnistream.schemas.Transcript;
import org.apache.flink.streaming.api.datastream.DataStream;

/** The outputs of {@link UnderstandingPipeline}, for the job to route to its sinks. */
public final class UnderstandingStreams {
    /** Partial and final transcripts (omni.events). */
    public final DataStream<Transcript> transcripts;
    /** Text and identifiers of stable screen pictures (omni.events). */
    public final DataStream<ScreenText> screenText;
    /** Answer text deltas, 20 ms audio chunks, final and cancelled markers (omni.agent). */
    public final DataStream<AgentResponse> responses;
    /** Agent speaking or not, for turn-taking (derived here; the job may also derive it from omni.agent). */
    public final DataStream<AgentActivity> agentActivity;
    /** Final transcripts, screen text and whole answers (omni.analytics). */
    public final DataStream<AnalyticsRecord> analytics;
    /** Internal turn updates (for tests and diagnostics). */
    public final DataStream<TurnUpdate> turnUpdates;

    UnderstandingStreams(DataStream<Transcript> transcripts, DataStream<ScreenText> screenText, DataStream<AgentResponse> responses,
            DataStream<AgentActivity> agentActivity, DataStream<AnalyticsRecord> analytics, DataStream<TurnUpdate> turnUpdates) {
        this.transcripts = transcripts;
        this.screenText = screenText;
        this.responses = responses;
        this.agentActivity = agentActivity;
        this.analytics = analytics;
        this.turnUpdates = turnUpdates;
    }
}

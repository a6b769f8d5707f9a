package io.omnistream.operators.understand;

import io.omnistream.operators.asr.StreamingAsrFunction;
import io.omnistream.operators.asr.TurnUpdate;
import io.omnistream.operators.ocr.ScreenOcrAsyncFunction;
import io.omnistream.operators.ocr.ScreenReadCounter;
import io.omnistream.operators.ocr.ScreenToRead;
import io.omnistream.operators.ocr.StableScreenFilter;
import io.omnistream.operators.respond.SpokenAnswerFunction;
import io.omnistream.operators.turn.AgentActivity;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.AnalyticsRecord;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.ScreenText;
import io.omnistream.schemas.SpeechEvent;
import io.omnistream.schemas.Transcript;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.functions.KeySelector;
import java.util.concurrent.TimeUnit;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * The one entry point of understanding and answering: wires ASR (frames + speech events), screen
 * OCR, the responder with speech synthesis and, optionally, a remote omni model into a job graph.
 *
 * <pre>
 *   frames ─┬─ keyBy(session) ─┐
 *   speech ─┼──────────────────┴─ ASR ── turn updates ─┬─ (remote stage) ─┐
 *           └─ keyBy(session) ── OCR ── screen text ───┴──────────────────┴─ answer + TTS ─ responses, activity
 * </pre>
 */
public final class UnderstandingPipeline {
    private UnderstandingPipeline() {}

    /** Embedded (offline) answering. */
    public static UnderstandingStreams build(DataStream<PerceptionFrame> frames, DataStream<SpeechEvent> speech, UnderstandingConfig config) {
        return build(frames, speech, config, null);
    }

    /** With a remote answer stage (null: embedded only). */
    public static UnderstandingStreams build(DataStream<PerceptionFrame> frames, DataStream<SpeechEvent> speech, UnderstandingConfig config,
            RemoteAnswerStage remote) {
        DataStream<TurnUpdate> updates = frames.keyBy(new FrameKey())
                .connect(speech.keyBy(new EventKey()))
                .process(new StreamingAsrFunction(config), TypeInformation.of(TurnUpdate.class))
                .name("understand-asr").uid("understand-asr");

        DataStream<ScreenToRead> stableScreens = frames.keyBy(new FrameKey())
                .process(new StableScreenFilter(config), TypeInformation.of(ScreenToRead.class))
                .name("understand-stable-screen").uid("understand-stable-screen");
        DataStream<ScreenText> screenText = AsyncDataStream.unorderedWait(stableScreens, new ScreenOcrAsyncFunction(config),
                        config.ocrTimeoutMillis, TimeUnit.MILLISECONDS, config.ocrQueueCapacity)
                .returns(ScreenOcrAsyncFunction.outputType())
                .name("understand-ocr").uid("understand-ocr")
                .map(new ScreenReadCounter(), TypeInformation.of(ScreenText.class))
                .name("understand-ocr-work").uid("understand-ocr-work");

        DataStream<TurnUpdate> answerInput = updates;
        if (remote != null) {
            DataStream<TurnUpdate> endOfTurns = updates.filter(u -> u.kind == TurnUpdate.Kind.END_OF_TURN).name("remote-questions");
            answerInput = updates.union(remote.answer(endOfTurns));
        }
        SingleOutputStreamOperator<AgentResponse> responses = answerInput.keyBy(new UpdateKey())
                .connect(screenText.keyBy(new ScreenKey()))
                .process(new SpokenAnswerFunction(config, remote != null), TypeInformation.of(AgentResponse.class))
                .name("respond-tts").uid("respond-tts");
        DataStream<AgentActivity> activity = responses.getSideOutput(SpokenAnswerFunction.ACTIVITY);

        DataStream<Transcript> transcripts = updates.filter(u -> u.transcript != null)
                .map(u -> u.transcript, TypeInformation.of(Transcript.class))
                .name("transcripts");

        DataStream<AnalyticsRecord> analytics = transcripts.filter(Transcript::getIsFinal)
                .map(t -> new AnalyticsRecord(t.getSessionId(), t), TypeInformation.of(AnalyticsRecord.class))
                .union(screenText.map(s -> new AnalyticsRecord(s.getSessionId(), s), TypeInformation.of(AnalyticsRecord.class)),
                        responses.getSideOutput(SpokenAnswerFunction.ANSWERS)
                                .map(r -> new AnalyticsRecord(r.getSessionId(), r), TypeInformation.of(AnalyticsRecord.class)));

        return new UnderstandingStreams(transcripts, screenText, responses, activity, analytics, updates);
    }

    private static final class FrameKey implements KeySelector<PerceptionFrame, String> {
        @Override
        public String getKey(PerceptionFrame f) {
            return f.getSessionId();
        }
    }

    private static final class EventKey implements KeySelector<SpeechEvent, String> {
        @Override
        public String getKey(SpeechEvent e) {
            return e.getSessionId();
        }
    }

    private static final class UpdateKey implements KeySelector<TurnUpdate, String> {
        @Override
        public String getKey(TurnUpdate u) {
            return u.sessionId;
        }
    }

    private static final class ScreenKey implements KeySelector<ScreenText, String> {
        @Override
        public String getKey(ScreenText s) {
            return s.getSessionId();
        }
    }
}

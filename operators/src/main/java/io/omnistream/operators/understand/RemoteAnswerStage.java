package io.omnistream.operators.understand;

import io.omnistream.operators.asr.TurnUpdate;
import java.io.Serializable;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * Hook for an optional remote answer source (an omni model behind an OpenAI-compatible streaming
 * API, see {@code io.omnistream.connectors.model}). Operators do not depend on connectors, so the
 * job supplies this stage: it receives every END_OF_TURN update (transcript, {@link
 * TurnUpdate#turnAudio}, {@link TurnUpdate#screenJpeg}) and must emit exactly one
 * {@link TurnUpdate#remoteAnswer} per input, with an error instead of deltas when the model failed,
 * in which case the embedded responder answers.
 */
@FunctionalInterface
public interface RemoteAnswerStage extends Serializable {
    DataStream<TurnUpdate> answer(DataStream<TurnUpdate> endOfTurns);
}

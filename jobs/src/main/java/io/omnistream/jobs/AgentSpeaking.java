package io.omnistream.jobs;

import io.omnistream.operators.turn.AgentActivity;
import io.omnistream.schemas.AgentResponse;
import java.nio.ByteBuffer;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Derives whether the agent is talking to a session from the agent's own responses, read back from
 * {@code omni.agent}: speaking from the first audio chunk of an answer until <em>its audio has played out</em> at
 * the customer, or until it is cancelled or superseded by the next answer. Emits only changes. Reading the topic
 * back (instead of a back edge from the answering stage to turn-taking) keeps the job graph acyclic.
 *
 * <p>Synthesis runs many times faster than real time, so the final chunk of an answer is written long before the
 * customer has heard it; ending "speaking" there would turn every interruption of a long answer into an ordinary
 * new turn (no barge-in, the agent talks on). The play-out end is estimated like the edge plays it: chunks queue
 * back to back from the first one, each lasting its samples ÷ rate, plus {@link #PLAYOUT_MARGIN_MILLIS} for the
 * edge's jitter buffer and the browser.
 */
public class AgentSpeaking extends KeyedProcessFunction<String, AgentResponse, AgentActivity> {
    private static final long serialVersionUID = 1L;
    /** Jitter buffer at the edge plus the WebRTC path to the browser. */
    static final long PLAYOUT_MARGIN_MILLIS = 150;

    private transient ValueState<String> speakingResponse;
    /** Processing time (ms) at which the queued audio of the current answer has played out. */
    private transient ValueState<Long> playoutEnd;

    @Override
    public void open(OpenContext openContext) {
        speakingResponse = getRuntimeContext().getState(new ValueStateDescriptor<>("speaking-response", Types.STRING));
        playoutEnd = getRuntimeContext().getState(new ValueStateDescriptor<>("playout-end", Types.LONG));
    }

    @Override
    public void processElement(AgentResponse r, Context ctx, Collector<AgentActivity> out) throws Exception {
        String current = speakingResponse.value();
        long now = ctx.timerService().currentProcessingTime();
        String rid = r.getResponseId();
        if (r.getCancelled()) {
            if (rid.equals(current)) {
                stop(r.getSessionId(), rid, now, out);
            }
            return;
        }
        ByteBuffer audio = r.getAudio();
        if (audio != null && r.getAudioSampleRate() > 0) {
            long millis = (audio.remaining() / 2) * 1000L / r.getAudioSampleRate();
            Long end = playoutEnd.value();
            if (!rid.equals(current)) {
                // a new answer: the edge cuts the previous one, so its play-out starts now
                speakingResponse.update(rid);
                end = null;
                out.collect(new AgentActivity(r.getSessionId(), rid, true, now * 1000));
            }
            long newEnd = (end == null ? now + PLAYOUT_MARGIN_MILLIS : Math.max(end, now)) + millis;
            playoutEnd.update(newEnd);
            ctx.timerService().registerProcessingTimeTimer(newEnd);
        } else if (r.getIsFinal() && rid.equals(current) && playoutEnd.value() == null) {
            stop(r.getSessionId(), rid, now, out); // an answer without audio
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<AgentActivity> out) throws Exception {
        Long end = playoutEnd.value();
        String current = speakingResponse.value();
        if (current != null && end != null && timestamp >= end) {
            stop(ctx.getCurrentKey(), current, timestamp, out);
        }
    }

    private void stop(String sessionId, String responseId, long nowMillis, Collector<AgentActivity> out) throws Exception {
        speakingResponse.clear();
        playoutEnd.clear();
        out.collect(new AgentActivity(sessionId, responseId, false, nowMillis * 1000));
    }
}

package io.omnistream.jobs;

import io.omnistream.operators.turn.AgentActivity;
import io.omnistream.schemas.AgentResponse;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Derives whether the agent is talking to a session from the agent's own responses, read back from
 * {@code omni.agent}: speaking from the first audio chunk of an answer until its final or cancelled chunk.
 * Emits only changes. Reading the topic back (instead of a back edge from the answering stage to turn-taking)
 * keeps the job graph acyclic.
 */
public class AgentSpeaking extends KeyedProcessFunction<String, AgentResponse, AgentActivity> {
    private static final long serialVersionUID = 1L;

    private transient ValueState<String> speakingResponse;

    @Override
    public void open(OpenContext openContext) {
        speakingResponse = getRuntimeContext().getState(new ValueStateDescriptor<>("speaking-response", Types.STRING));
    }

    @Override
    public void processElement(AgentResponse r, Context ctx, Collector<AgentActivity> out) throws Exception {
        String current = speakingResponse.value();
        long now = System.currentTimeMillis() * 1000;
        if (r.getIsFinal() || r.getCancelled()) {
            if (r.getResponseId().equals(current)) {
                speakingResponse.clear();
                out.collect(new AgentActivity(r.getSessionId(), r.getResponseId(), false, now));
            }
        } else if (r.getAudio() != null && !r.getResponseId().equals(current)) {
            speakingResponse.update(r.getResponseId());
            out.collect(new AgentActivity(r.getSessionId(), r.getResponseId(), true, now));
        }
    }
}

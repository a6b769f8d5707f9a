package io.omnistream.operators.route;

import io.omnistream.operators.turn.AgentActivity;
import io.omnistream.schemas.PerceptionFrame;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * The one entry point the job uses to put the router between alignment and everything after it: aligned frames
 * (plus the agent's activity) in, the same frames with their {@code route} decision out. Routing off returns the
 * input stream itself, so the graph is exactly the one without a router.
 */
public final class RoutingPipeline {
    public static final String UID = "route";

    private RoutingPipeline() {}

    public static DataStream<PerceptionFrame> build(DataStream<PerceptionFrame> frames, DataStream<AgentActivity> agent, RouteConfig config) {
        if (config == null || !config.enabled) {
            return frames;
        }
        return frames.keyBy(PerceptionFrame::getSessionId, Types.STRING)
                .connect(agent.keyBy((AgentActivity a) -> a.sessionId, Types.STRING))
                .process(new ModalityRouter(config), new AvroTypeInfo<>(PerceptionFrame.class))
                .uid(UID)
                .name("route: modality paths per tick");
    }
}

package io.omnistream.jobs;

import io.omnistream.connectors.model.OmniModelClient;
import io.omnistream.connectors.model.OmniModelConfig;
import io.omnistream.connectors.model.OmniModelReply;
import io.omnistream.connectors.model.OmniModelRequest;
import io.omnistream.operators.asr.TurnUpdate;
import io.omnistream.operators.understand.RemoteAnswerStage;
import java.util.Collections;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * The remote omni model as the understanding pipeline's {@link RemoteAnswerStage}: END_OF_TURN
 * updates go through Flink async I/O to {@link OmniModelClient}; every update comes back as one
 * REMOTE_ANSWER update (with an error when the model failed, so the embedded responder answers).
 *
 * <p>It needs both operators and connectors, so it lives in jobs (usage:
 * {@code UnderstandingPipeline.build(frames, speech, cfg, new RemoteOmniModelStage(modelCfg))}).
 */
public class RemoteOmniModelStage implements RemoteAnswerStage {
    private static final long serialVersionUID = 1L;
    private final OmniModelConfig config;

    public RemoteOmniModelStage(OmniModelConfig config) {
        this.config = config;
    }

    @Override
    public DataStream<TurnUpdate> answer(DataStream<TurnUpdate> endOfTurns) {
        return AsyncDataStream.unorderedWait(endOfTurns, new Ask(config), config.totalTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS,
                config.asyncCapacity).returns(TypeInformation.of(TurnUpdate.class)).name("omni-model").uid("omni-model");
    }

    /** Async I/O function around the streaming client. */
    static final class Ask extends RichAsyncFunction<TurnUpdate, TurnUpdate> {
        private static final long serialVersionUID = 1L;
        private final OmniModelConfig config;
        private transient OmniModelClient client;

        Ask(OmniModelConfig config) {
            this.config = config;
        }

        @Override
        public void open(OpenContext openContext) {
            client = new OmniModelClient(config);
        }

        @Override
        public void close() {
            if (client != null) {
                client.close();
            }
        }

        @Override
        public void asyncInvoke(TurnUpdate eot, ResultFuture<TurnUpdate> result) {
            OmniModelRequest req = new OmniModelRequest(eot.sessionId, eot.turnId, eot.text(), eot.turnAudio, eot.screenJpeg);
            client.answer(req).thenAccept((OmniModelReply r) -> result.complete(Collections.singleton(
                    TurnUpdate.remoteAnswer(eot, r.deltas, r.model, r.error))));
        }

        @Override
        public void timeout(TurnUpdate eot, ResultFuture<TurnUpdate> result) {
            result.complete(Collections.singleton(TurnUpdate.remoteAnswer(eot, null, null, "async I/O timeout")));
        }
    }
}

package io.omnistream.connectors.model;

import java.util.Collections;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * The remote omni model as a Flink async I/O function ({@code AsyncDataStream.unorderedWait}): one
 * {@link OmniModelReply} per request, always; failures, timeouts and an open circuit breaker come
 * back as replies with an error (so the job falls back to the embedded responder and never fails).
 *
 * <p>Async I/O completes a request once, so the tokens are passed on together when the stream
 * ends; they keep their order and their delta boundaries.
 */
public class OmniModelAsyncFunction extends RichAsyncFunction<OmniModelRequest, OmniModelReply> {
    private static final long serialVersionUID = 1L;

    private final OmniModelConfig config;
    private transient OmniModelClient client;
    private transient Counter requests;
    private transient Counter failures;
    private transient Counter rejectedByBreaker;

    public OmniModelAsyncFunction(OmniModelConfig config) {
        this.config = config;
    }

    @Override
    public void open(OpenContext openContext) {
        client = new OmniModelClient(config);
        requests = getRuntimeContext().getMetricGroup().counter("omniModelRequests");
        failures = getRuntimeContext().getMetricGroup().counter("omniModelFailures");
        rejectedByBreaker = getRuntimeContext().getMetricGroup().counter("omniModelRejectedByBreaker");
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
    }

    @Override
    public void asyncInvoke(OmniModelRequest request, ResultFuture<OmniModelReply> resultFuture) {
        requests.inc();
        client.answer(request).thenAccept(reply -> {
            if (!reply.ok()) {
                failures.inc();
                if (reply.attempts == 0) {
                    rejectedByBreaker.inc();
                }
            }
            resultFuture.complete(Collections.singleton(reply));
        });
    }

    @Override
    public void timeout(OmniModelRequest request, ResultFuture<OmniModelReply> resultFuture) {
        failures.inc();
        resultFuture.complete(Collections.singleton(OmniModelReply.failed(request, "async I/O timeout", 0)));
    }
}

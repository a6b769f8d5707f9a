package io.omnistream.operators.respond;

import io.omnistream.operators.asr.TurnUpdate;
import io.omnistream.operators.tts.EspeakEngine;
import io.omnistream.operators.tts.SynthesisJob;
import io.omnistream.operators.turn.AgentActivity;
import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.LatencyTrace;
import io.omnistream.schemas.ScreenText;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Turns a customer turn into the agent's spoken answer: picks the answer (embedded knowledge base, or
 * the remote omni model's reply when one arrives), streams its text as deltas and its espeak-ng
 * audio as 20 ms chunks, and stops at once on a barge-in.
 *
 * <p>Speculation: at the speech drop the answer is chosen and synthesis starts, but nothing is
 * emitted; at the end of the turn the prepared answer is committed if the transcript and screen are
 * unchanged (so its first audio is ready at once), otherwise it is redone; if speech resumes it is
 * discarded. The agent-speaking state goes to a side output for turn-taking. Synthesized chunks are
 * drained by short processing-time timers, so the task thread never waits for a whole answer.
 */
public class SpokenAnswerFunction extends KeyedCoProcessFunction<String, TurnUpdate, ScreenText, AgentResponse> {
    private static final long serialVersionUID = 1L;
    /** Agent speaking / stopped, for turn-taking. */
    public static final OutputTag<AgentActivity> ACTIVITY = new OutputTag<>("agent-activity") {};
    /** One record per committed answer with its whole text (no audio), for analytics. */
    public static final OutputTag<AgentResponse> ANSWERS = new OutputTag<>("answers") {};

    private final UnderstandingConfig config;
    private final boolean remoteAnswers;
    private transient EmbeddedResponder responder;
    private transient EspeakEngine tts;
    private transient ValueState<ScreenText> latestScreen;
    private transient io.omnistream.operators.route.WorkCounter textEncoded;
    private transient io.omnistream.operators.route.WorkCounter textReused;
    private transient Map<String, Answer> prepared;
    private transient Map<String, Answer> speaking;
    private transient Counter committedSpeculative;
    private transient Counter redone;
    private transient Counter bargeIns;
    private transient Counter ttsFailures;
    private transient Counter remoteFallbacks;

    /** An answer being prepared or spoken. */
    private static final class Answer {
        String sessionId;
        long turnId;
        String transcript;
        long screenSeq;
        String intent;
        String text;
        List<String> deltas;
        String backend;
        SynthesisJob job;
        String responseId;
        int seq;
        boolean audioStarted;
        Map<String, Long> stages = new HashMap<>();
    }

    /**
     * @param remoteAnswers true when END_OF_TURN is answered by a remote model (REMOTE_ANSWER updates
     *     follow); the embedded responder then only answers when the remote one failed.
     */
    public SpokenAnswerFunction(UnderstandingConfig config, boolean remoteAnswers) {
        this.config = config;
        this.remoteAnswers = remoteAnswers;
    }

    @Override
    public void open(OpenContext openContext) {
        responder = new EmbeddedResponder(config);
        tts = EspeakEngine.shared(config.espeakLibrary, config.espeakDataPath);
        latestScreen = getRuntimeContext().getState(new ValueStateDescriptor<>("latest-screen-text", ScreenText.class));
        prepared = new HashMap<>();
        speaking = new HashMap<>();
        committedSpeculative = getRuntimeContext().getMetricGroup().counter("answersCommittedSpeculative");
        redone = getRuntimeContext().getMetricGroup().counter("answersPreparedAtEndOfTurn");
        bargeIns = getRuntimeContext().getMetricGroup().counter("answersCancelledByBargeIn");
        ttsFailures = getRuntimeContext().getMetricGroup().counter("ttsFailures");
        remoteFallbacks = getRuntimeContext().getMetricGroup().counter("remoteFallbacks");
        textEncoded = io.omnistream.operators.route.WorkCounter.register(getRuntimeContext(), "work.textEncode.run");
        textReused = io.omnistream.operators.route.WorkCounter.register(getRuntimeContext(), "work.textEncode.skipped");
    }

    @Override
    public void close() {
        if (prepared != null) {
            prepared.values().forEach(a -> a.job.cancel());
            speaking.values().forEach(a -> a.job.cancel());
        }
    }

    @Override
    public void processElement2(ScreenText screen, Context ctx, Collector<AgentResponse> out) throws Exception {
        latestScreen.update(screen);
    }

    @Override
    public void processElement1(TurnUpdate u, Context ctx, Collector<AgentResponse> out) throws Exception {
        String session = u.sessionId;
        switch (u.kind) {
            case SPEECH_PAUSE:
                if (config.speculative && !remoteAnswers) {
                    discardPrepared(session);
                    prepared.put(session, prepare(u, latestScreen.value(), null, config.embeddedBackendName));
                }
                break;
            case RESUMED:
                discardPrepared(session);
                break;
            case END_OF_TURN:
                if (remoteAnswers) {
                    discardPrepared(session);
                    break;
                }
                commit(ctx, out, session, u, takeMatchingPrepared(session, u));
                break;
            case REMOTE_ANSWER:
                Answer a;
                if (u.remoteError == null && u.remoteDeltas != null && !u.remoteDeltas.isEmpty()) {
                    a = prepare(u, latestScreen.value(), u.remoteDeltas, u.remoteBackend == null ? "remote" : u.remoteBackend);
                } else {
                    remoteFallbacks.inc();
                    a = prepare(u, latestScreen.value(), null, config.embeddedBackendName + "-fallback");
                }
                commit(ctx, out, session, u, a);
                break;
            case BARGE_IN:
                discardPrepared(session);
                Answer s = speaking.remove(session);
                if (s != null) {
                    bargeIns.inc();
                    s.job.cancel();
                    stop(ctx, out, s, true);
                }
                break;
            default:
                break;
        }
    }

    private Answer takeMatchingPrepared(String session, TurnUpdate u) throws Exception {
        Answer p = prepared.remove(session);
        ScreenText screen = latestScreen.value();
        long seq = screen == null ? -1 : screen.getFrameSeq();
        if (p != null && p.turnId == u.turnId && p.transcript.equals(u.text()) && p.screenSeq == seq) {
            committedSpeculative.inc();
            p.stages.putAll(u.stages);
            return p;
        }
        if (p != null) {
            p.job.cancel();
        }
        redone.inc();
        return prepare(u, screen, null, config.embeddedBackendName);
    }

    private Answer prepare(TurnUpdate u, ScreenText screen, List<String> remoteDeltas, String backend) {
        Answer a = new Answer();
        a.sessionId = u.sessionId;
        a.turnId = u.turnId;
        a.transcript = u.text();
        a.screenSeq = screen == null ? -1 : screen.getFrameSeq();
        a.backend = backend;
        a.stages.putAll(u.stages);
        if (remoteDeltas != null) {
            a.deltas = remoteDeltas;
            a.text = String.join("", remoteDeltas).trim();
            a.intent = "remote";
        } else {
            long encodes = responder.encodes();
            long reuses = responder.reuses();
            EmbeddedResponder.Answer ans = responder.answer(a.transcript, screen);
            textEncoded.inc(responder.encodes() - encodes);
            textReused.inc(responder.reuses() - reuses);
            a.text = ans.text;
            a.intent = ans.intentId;
            a.deltas = split(ans.text, config.textDeltaChars);
        }
        a.stages.put("respond.chosen", wallMicros());
        a.responseId = u.sessionId + "/" + u.turnId;
        a.job = tts.submit(a.text, config.ttsVoice, config.ttsRate, config.ttsOutputSampleRate, config.ttsChunkMillis);
        return a;
    }

    private void discardPrepared(String session) {
        Answer p = prepared.remove(session);
        if (p != null) {
            p.job.cancel();
        }
    }

    private void commit(Context ctx, Collector<AgentResponse> out, String session, TurnUpdate u, Answer a) throws Exception {
        Answer old = speaking.remove(session);
        if (old != null) {
            old.job.cancel();
            stop(ctx, out, old, true);
        }
        a.stages.put("respond.commit", wallMicros());
        for (String d : a.deltas) {
            out.collect(response(a).setTextDelta(d).build());
        }
        ctx.output(ANSWERS, response(a).setTextDelta(a.text).setIsFinal(true).setSeq(-1).build());
        speaking.put(session, a);
        // the first chunk is normally ready (speculative) or only milliseconds away
        short[] first = a.job.poll(200, TimeUnit.MILLISECONDS);
        if (first != null) {
            emitAudio(ctx, out, a, first);
        }
        drain(ctx, out, a);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<AgentResponse> out) throws Exception {
        Answer a = speaking.get(ctx.getCurrentKey());
        if (a != null) {
            drain(ctx, out, a);
        }
    }

    private void drain(Context ctx, Collector<AgentResponse> out, Answer a) {
        short[] chunk;
        while ((chunk = a.job.poll()) != null) {
            emitAudio(ctx, out, a, chunk);
        }
        if (a.job.exhausted()) {
            if (a.job.error() != null) {
                ttsFailures.inc();
            }
            speaking.remove(a.sessionId);
            stop(ctx, out, a, false);
        } else {
            ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + config.ttsDrainIntervalMillis);
        }
    }

    private void emitAudio(Context ctx, Collector<AgentResponse> out, Answer a, short[] chunk) {
        byte[] pcm = new byte[chunk.length * 2];
        ByteBuffer.wrap(pcm).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().put(chunk);
        if (!a.audioStarted) {
            a.audioStarted = true;
            a.stages.put("tts.first", wallMicros());
            ctx.output(ACTIVITY, new AgentActivity(a.sessionId, a.responseId, true, wallMicros()));
        }
        out.collect(response(a).setAudio(ByteBuffer.wrap(pcm)).setAudioSampleRate(a.job.outputRate()).build());
    }

    private void stop(Context ctx, Collector<AgentResponse> out, Answer a, boolean cancelled) {
        out.collect(response(a).setIsFinal(true).setCancelled(cancelled).build());
        if (a.audioStarted) {
            ctx.output(ACTIVITY, new AgentActivity(a.sessionId, a.responseId, false, wallMicros()));
        }
    }

    private AgentResponse.Builder response(Answer a) {
        LatencyTrace trace = LatencyTrace.newBuilder()
                .setSessionId(a.sessionId)
                .setTraceId(a.responseId)
                .setTurnId(a.turnId)
                .setStages(new HashMap<>(a.stages))
                .build();
        return AgentResponse.newBuilder()
                .setSessionId(a.sessionId)
                .setResponseId(a.responseId)
                .setTurnId(a.turnId)
                .setSeq(a.seq++)
                .setBackend(a.backend)
                .setTrace(trace);
    }

    /** Splits text into deltas of about {@code size} characters at word boundaries (joined they give the text). */
    static List<String> split(String text, int size) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            int end = Math.min(text.length(), i + size);
            if (end < text.length()) {
                int sp = text.lastIndexOf(' ', end);
                if (sp > i) {
                    end = sp + 1;
                }
            }
            out.add(text.substring(i, end));
            i = end;
        }
        return out;
    }

    static long wallMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
}

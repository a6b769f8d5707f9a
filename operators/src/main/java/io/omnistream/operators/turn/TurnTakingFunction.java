package io.omnistream.operators.turn;

import io.omnistream.operators.fusion.FusedFrame;
import io.omnistream.operators.perception.PerceptionConfig;
import io.omnistream.schemas.LatencyTrace;
import io.omnistream.schemas.SpeechEvent;
import io.omnistream.schemas.SpeechEventType;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Turn-taking state machine per session, on fused perception frames plus the agent's activity.
 *
 * <ul>
 *   <li>SPEECH_START once P(speaking) stays ≥ {@code startThreshold} for {@code minSpeechMicros};
 *       BARGE_IN instead while the agent speaks (after {@code bargeInMinSpeechMicros}), and also while its answer
 *       is due: within {@code answerDueMicros} after END_OF_TURN, before the agent is heard, speech means the
 *       customer only paused, so the coming answer is interrupted rather than talked over a new turn. With a usable
 *       face P(speaking) already requires lip evidence, so background speech does not interrupt.
 *   <li>A tick is silent when P(speaking) is below {@code stopThreshold}, when the audio dropped
 *       (energy {@code dropDb} under the recent speech peak), or — with a usable face — when the
 *       lips are closed (a bilabial inside speech reopens them well within the hangover).
 *   <li>SPEECH_END after {@code speechEndMinSilenceMicros} of silence (a provisional signal for
 *       speculative ASR/answering); SPEECH_START again if speech resumes before the turn ended.
 *   <li>END_OF_TURN after a hangover that depends on the evidence: {@code avHangoverMicros} when
 *       the lips are closed and still (fast path), {@code avOpenLipsHangoverMicros} when a face is
 *       visible but the lips are open or moving (the customer holds the floor), and
 *       {@code audioOnlyHangoverMicros} without a usable face or in audio-only mode.
 *   <li>BACKGROUND_SPEECH once per episode of speech that the fusion attributes to someone else.
 * </ul>
 * Every event carries a confidence and a {@link LatencyTrace} with the stage wall times
 * {@code edge.in}, {@code align.out}, {@code perception.out} and {@code turn.decided}.
 */
public class TurnTakingFunction extends KeyedCoProcessFunction<String, FusedFrame, AgentActivity, SpeechEvent> {
    private static final long serialVersionUID = 1L;

    /** Job accumulator: CPU time (ns) spent in this operator, summed over instances; for the cost benchmark. */
    public static final String CPU_NANOS_ACCUMULATOR = "turn.cpuNanos";

    private final PerceptionConfig config;
    private transient org.apache.flink.api.common.accumulators.LongCounter cpuNanos;
    private transient java.lang.management.ThreadMXBean threads;
    private transient ValueState<TurnState> state;
    private transient Map<SpeechEventType, Counter> counters;

    public TurnTakingFunction(PerceptionConfig config) {
        this.config = config;
    }

    @Override
    public void open(OpenContext openContext) {
        state = getRuntimeContext().getState(new ValueStateDescriptor<>("turn", TurnState.class));
        cpuNanos = getRuntimeContext().getLongCounter(CPU_NANOS_ACCUMULATOR + (config.audioVisual ? "" : ".audioOnly"));
        threads = java.lang.management.ManagementFactory.getThreadMXBean();
        counters = new HashMap<>();
        for (SpeechEventType t : SpeechEventType.values()) {
            counters.put(t, getRuntimeContext().getMetricGroup().counter("turnEvents_" + t.name()));
        }
    }

    @Override
    public void processElement2(AgentActivity a, Context ctx, Collector<SpeechEvent> out) throws Exception {
        TurnState st = current();
        if (st.agentSpeaking && !a.speaking) {
            st.answerDueUntilMicros = 0; // the answer has played out: the floor is open again
        }
        st.agentSpeaking = a.speaking;
        st.agentResponseId = a.responseId;
        state.update(st);
    }

    @Override
    public void processElement1(FusedFrame f, Context ctx, Collector<SpeechEvent> out) throws Exception {
        long cpu0 = threads.getCurrentThreadCpuTime();
        TurnState st = current();
        long tick = Math.max(1, f.tickMicros());
        boolean av = config.audioVisual && f.faceUsable;
        float p = config.audioVisual ? f.speakingProbability : f.audioProbability;

        if (!st.turnOpen) {
            if (p >= config.startThreshold) {
                if (st.speechRunMicros == 0) {
                    st.speechRunStartMicros = f.tickStartMicros;
                    st.speechRunProbabilitySum = 0;
                    st.speechRunTicks = 0;
                    st.speechRunAudioVisual = false;
                }
                st.speechRunMicros += tick;
                st.speechRunProbabilitySum += p;
                st.speechRunTicks++;
                st.speechRunAudioVisual |= av;
            } else if (p < config.stopThreshold) {
                st.speechRunMicros = 0;
            }
            boolean answerDue = !st.agentSpeaking && f.tickStartMicros < st.answerDueUntilMicros;
            boolean agentHasFloor = st.agentSpeaking || answerDue;
            long need = agentHasFloor ? config.bargeInMinSpeechMicros : config.minSpeechMicros;
            if (st.speechRunMicros > 0 && st.speechRunMicros >= need) {
                st.turnId++;
                st.turnOpen = true;
                st.silenceRunMicros = 0;
                st.speechEndEmitted = false;
                float conf = (float) (st.speechRunProbabilitySum / Math.max(1, st.speechRunTicks));
                // speech before the due answer was heard: the customer only paused, the new turn continues the last
                long continues = answerDue ? st.turnId - 1 : 0;
                st.answerDueUntilMicros = 0;
                emit(out, f, st, agentHasFloor ? SpeechEventType.BARGE_IN : SpeechEventType.SPEECH_START,
                        st.speechRunStartMicros, conf, st.speechRunAudioVisual, continues);
                st.speechRunMicros = 0;
            }
        } else if (p < config.stopThreshold || f.audioDropped || (av && f.lipsClosed)) {
            if (st.silenceRunMicros == 0) {
                st.silenceStartMicros = f.tickStartMicros;
            }
            st.silenceRunMicros += tick;
            if (!st.speechEndEmitted && st.silenceRunMicros >= config.speechEndMinSilenceMicros) {
                st.speechEndEmitted = true;
                emit(out, f, st, SpeechEventType.SPEECH_END, st.silenceStartMicros, 1f - p, av);
            }
            long hangover = !av ? config.audioOnlyHangoverMicros : f.lipsClosed ? config.avHangoverMicros : config.avOpenLipsHangoverMicros;
            if (st.silenceRunMicros >= hangover) {
                float conf = av && f.lipsClosed ? 0.9f : Math.min(0.95f, 0.5f + 0.5f * (float) st.silenceRunMicros / config.audioOnlyHangoverMicros);
                emit(out, f, st, SpeechEventType.END_OF_TURN, st.silenceStartMicros, conf, av);
                st.answerDueUntilMicros = f.tickEndMicros + config.answerDueMicros;
                st.turnOpen = false;
                st.silenceRunMicros = 0;
                st.speechRunMicros = 0;
                st.speechEndEmitted = false;
            }
        } else {
            if (p >= config.startThreshold && st.speechEndEmitted) {
                emit(out, f, st, SpeechEventType.SPEECH_START, f.tickStartMicros, p, av);
                st.speechEndEmitted = false;
            }
            if (p >= config.startThreshold || st.silenceRunMicros == 0) {
                st.silenceRunMicros = 0;
            } else {
                st.silenceRunMicros += tick; // between thresholds: still counts towards the hangover
            }
        }

        if (config.audioVisual && f.backgroundSpeech && !st.turnOpen) {
            if (st.backgroundRunMicros == 0) {
                st.backgroundStartMicros = f.tickStartMicros;
            }
            st.backgroundRunMicros += tick;
            if (!st.backgroundReported && st.backgroundRunMicros >= config.backgroundMinMicros) {
                st.backgroundReported = true;
                emit(out, f, st, SpeechEventType.BACKGROUND_SPEECH, st.backgroundStartMicros, f.audioProbability, true);
            }
        } else if (f.audioProbability < config.stopThreshold) {
            st.backgroundRunMicros = 0;
            st.backgroundReported = false;
        }
        state.update(st);
        cpuNanos.add(threads.getCurrentThreadCpuTime() - cpu0);
    }

    private TurnState current() throws java.io.IOException {
        TurnState st = state.value();
        return st == null ? new TurnState() : st;
    }

    private void emit(Collector<SpeechEvent> out, FusedFrame f, TurnState st, SpeechEventType type, long speechTime, float confidence,
            boolean audioVisual) {
        emit(out, f, st, type, speechTime, confidence, audioVisual, 0);
    }

    private void emit(Collector<SpeechEvent> out, FusedFrame f, TurnState st, SpeechEventType type, long speechTime, float confidence,
            boolean audioVisual, long continuesTurnId) {
        counters.get(type).inc();
        String eventId = f.sessionId + ":" + f.tickIndex + ":" + type.name();
        Map<String, Long> stages = new HashMap<>();
        if (f.maxArrivalTimeMicros > 0) {
            stages.put("edge.in", f.maxArrivalTimeMicros);
        }
        if (f.alignEmitMicros > 0) {
            stages.put("align.out", f.alignEmitMicros);
        }
        if (f.perceivedMicros > 0) {
            stages.put("perception.out", f.perceivedMicros);
        }
        stages.put("turn.decided", wallMicros());
        LatencyTrace trace = LatencyTrace.newBuilder()
                .setSessionId(f.sessionId)
                .setTraceId(eventId)
                .setTurnId(st.turnId)
                .setStages(new HashMap<>(stages))
                .build();
        out.collect(SpeechEvent.newBuilder()
                .setSessionId(f.sessionId)
                .setEventId(eventId)
                .setType(type)
                .setTurnId(st.turnId)
                .setSessionTimeMicros(f.tickEndMicros)
                .setSpeechTimeMicros(speechTime)
                .setConfidence(Math.max(0f, Math.min(1f, confidence)))
                .setAudioVisual(audioVisual)
                .setContinuesTurnId(continuesTurnId)
                .setTrace(trace)
                .build());
    }

    private static long wallMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
}

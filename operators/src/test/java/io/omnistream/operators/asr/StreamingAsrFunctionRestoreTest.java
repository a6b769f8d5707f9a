package io.omnistream.operators.asr;

import static io.omnistream.operators.understand.testutils.Frames.event;
import static io.omnistream.operators.understand.testutils.Frames.tickEnd;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.operators.understand.testutils.Frames;
import io.omnistream.operators.understand.testutils.Recordings;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.SpeechEvent;
import io.omnistream.schemas.SpeechEventType;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A TaskManager failover in the middle of a customer's turn: the operator is snapshotted while the customer
 * speaks (a real recording), the instance is thrown away with its native decoder, a new instance is restored from
 * the snapshot and gets the records after it again, as Flink replays them. The interrupted turn must end with the
 * same final transcript as an uninterrupted run, exactly once.
 */
class StreamingAsrFunctionRestoreTest {
    private static final String S = "session-restore";
    private static Recordings.Utterance speech;
    private static List<Object> script;
    private static TurnUpdate uninterruptedFinal;

    @BeforeAll
    static void uninterruptedRun() throws Exception {
        speech = Recordings.librivox().get(0); // 7.1 s "and mister john dashwood had then leisure ..."
        script = script();
        try (Run run = new Run(config(), null)) {
            run.feed(script, 0, script.size());
            List<TurnUpdate> finals = run.finals();
            assertThat(finals).hasSize(1);
            uninterruptedFinal = finals.get(0);
        }
        assertThat(uninterruptedFinal.text()).contains("dashwood");
    }

    private static UnderstandingConfig config() {
        UnderstandingConfig c = new UnderstandingConfig();
        c.asrDecodersPerInstance = 1;
        c.asrMaxDecodersPerInstance = 1;
        return c;
    }

    private static long speechStart() {
        return 500_000;
    }

    private static long speechEnd() {
        return speechStart() + speech.samples.length * 1_000_000L / 16_000;
    }

    /** Frames and events in the order the operator sees them, events right after the frame that reaches their session time. */
    private static List<Object> script() {
        List<PerceptionFrame> frames = Frames.session(S, speech.samples, 500, 800, null, 0);
        long start = speechStart();
        long end = speechEnd();
        List<SpeechEvent> events = new ArrayList<>(List.of(
                event(S, SpeechEventType.SPEECH_START, 1, tickEnd(start) + 80_000, start),
                event(S, SpeechEventType.SPEECH_END, 1, tickEnd(end) + 200_000, end),
                event(S, SpeechEventType.END_OF_TURN, 1, tickEnd(end) + 600_000, end)));
        List<Object> out = new ArrayList<>();
        for (PerceptionFrame f : frames) {
            out.add(f);
            while (!events.isEmpty() && events.get(0).getSessionTimeMicros() <= f.getTickEndMicros()) {
                out.add(events.remove(0));
            }
        }
        out.addAll(events);
        return out;
    }

    /** Index of the first step after the frame that ends at or after {@code micros}. */
    private static int stepAfter(long micros) {
        for (int i = 0; i < script.size(); i++) {
            if (script.get(i) instanceof PerceptionFrame f && f.getTickEndMicros() >= micros) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("no frame reaches " + micros);
    }

    /**
     * Runs the script to step {@code at}, snapshots, runs a few more steps (work lost with the failed instance),
     * restores a new instance from the snapshot and replays everything after the snapshot; returns the updates of
     * the failed instance up to the snapshot and of the restored one.
     */
    private static List<TurnUpdate> failOverAt(int at, UnderstandingConfig config) throws Exception {
        List<TurnUpdate> out = new ArrayList<>();
        OperatorSubtaskState snapshot;
        try (Run failing = new Run(config, null)) {
            failing.feed(script, 0, at);
            snapshot = failing.harness.snapshot(1L, 1L);
            out.addAll(failing.updates());
            failing.feed(script, at, Math.min(script.size(), at + 10)); // lost: replayed from the source after the restore
        }
        try (Run restored = new Run(config, snapshot)) {
            restored.feed(script, at, script.size());
            out.addAll(restored.updates());
        }
        return out;
    }

    private static List<TurnUpdate> finals(List<TurnUpdate> updates) {
        return updates.stream().filter(u -> u.kind == TurnUpdate.Kind.END_OF_TURN).collect(Collectors.toList());
    }

    @Test
    void aTurnInterruptedInTheMiddleOfAnUtteranceEndsWithTheSameFinalTranscriptOnce() throws Exception {
        List<TurnUpdate> out = failOverAt(stepAfter((speechStart() + speechEnd()) / 2), config());

        assertThat(out).as("partials before the failover").anyMatch(u -> u.kind == TurnUpdate.Kind.PARTIAL && !u.text().isEmpty());
        List<TurnUpdate> finals = finals(out);
        assertThat(finals).as("final transcripts of the turn").hasSize(1);
        TurnUpdate fin = finals.get(0);
        assertThat(fin.text()).isEqualTo(uninterruptedFinal.text());
        assertThat(fin.transcript.getIsFinal()).isTrue();
        assertThat(fin.turnId).isEqualTo(1);
        assertThat(fin.transcript.getSeq()).as("transcript seq continues from the checkpoint")
                .isEqualTo(uninterruptedFinal.transcript.getSeq());
        assertThat(fin.turnAudio).as("turn audio restored").isEqualTo(uninterruptedFinal.turnAudio);
        List<Integer> seqs = out.stream().filter(u -> u.transcript != null).map(u -> u.transcript.getSeq()).toList();
        assertThat(seqs).as("no transcript seq twice").doesNotHaveDuplicates();
    }

    @Test
    void aCheckpointTakenInTheSpeechPauseKeepsTheFinishedSegmentsText() throws Exception {
        int afterPause = -1;
        for (int i = 0; i < script.size(); i++) {
            if (script.get(i) instanceof SpeechEvent e && e.getType() == SpeechEventType.SPEECH_END) {
                afterPause = i + 1;
            }
        }
        List<TurnUpdate> out = failOverAt(afterPause, config());

        assertThat(out.stream().filter(u -> u.kind == TurnUpdate.Kind.SPEECH_PAUSE)).hasSize(1);
        List<TurnUpdate> finals = finals(out);
        assertThat(finals).hasSize(1);
        assertThat(finals.get(0).text()).isEqualTo(uninterruptedFinal.text());
    }

    @Test
    void eventsWaitingForTheirAudioAtTheCheckpointAreAppliedAfterTheRestore() throws Exception {
        // turn-taking was faster than the frames: all three events wait in the operator for the audio
        List<Object> early = new ArrayList<>();
        script.stream().filter(o -> o instanceof SpeechEvent).forEach(early::add);
        script.stream().filter(o -> o instanceof PerceptionFrame).forEach(early::add);
        List<TurnUpdate> out = new ArrayList<>();
        OperatorSubtaskState snapshot;
        int at = 3 + (early.size() - 3) / 2;
        try (Run failing = new Run(config(), null)) {
            failing.feed(early, 0, at);
            snapshot = failing.harness.snapshot(1L, 1L);
            out.addAll(failing.updates());
        }
        try (Run restored = new Run(config(), snapshot)) {
            restored.feed(early, at, early.size());
            out.addAll(restored.updates());
        }
        List<TurnUpdate> finals = finals(out);
        assertThat(finals).hasSize(1);
        assertThat(finals.get(0).text()).isEqualTo(uninterruptedFinal.text());
    }

    @Test
    void aSegmentLongerThanTheReplayBoundStillEndsOnceWithOnlyItsNewerAudioKept() throws Exception {
        UnderstandingConfig c = config();
        c.asrReplayMaxMicros = 2_000_000;
        List<TurnUpdate> out = failOverAt(stepAfter(speechEnd() - 1_000_000), c);

        List<TurnUpdate> finals = finals(out);
        assertThat(finals).hasSize(1);
        assertThat(finals.get(0).text()).as("the newer part of the segment is recognised").isNotEmpty();
        assertThat(finals.get(0).turnAudio.length).as("turn audio bounded before the failover")
                .isLessThan(uninterruptedFinal.turnAudio.length);
    }

    /** One operator instance in a keyed two-input harness, optionally restored from a snapshot. */
    private static final class Run implements AutoCloseable {
        final KeyedTwoInputStreamOperatorTestHarness<String, PerceptionFrame, SpeechEvent, TurnUpdate> harness;

        Run(UnderstandingConfig config, OperatorSubtaskState restoreFrom) throws Exception {
            harness = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new StreamingAsrFunction(config)),
                    PerceptionFrame::getSessionId, SpeechEvent::getSessionId, Types.STRING);
            if (restoreFrom != null) {
                harness.initializeState(restoreFrom);
            }
            harness.open();
        }

        void feed(List<Object> steps, int from, int to) throws Exception {
            for (Object o : steps.subList(from, to)) {
                if (o instanceof PerceptionFrame f) {
                    harness.processElement1(new StreamRecord<>(f));
                } else {
                    harness.processElement2(new StreamRecord<>((SpeechEvent) o));
                }
            }
        }

        List<TurnUpdate> updates() {
            return harness.getOutput().stream()
                    .filter(o -> o instanceof StreamRecord)
                    .map(o -> (TurnUpdate) ((StreamRecord<?>) o).getValue())
                    .collect(Collectors.toList());
        }

        List<TurnUpdate> finals() {
            return StreamingAsrFunctionRestoreTest.finals(updates());
        }

        @Override
        public void close() throws Exception {
            harness.close();
        }
    }
}

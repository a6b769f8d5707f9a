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
import java.nio.ByteBuffer;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StreamingAsrFunctionTest {
    private static final String S = "session-1";
    private static Recordings.Utterance speech;
    private KeyedTwoInputStreamOperatorTestHarness<String, PerceptionFrame, SpeechEvent, TurnUpdate> harness;

    @BeforeAll
    static void recording() throws Exception {
        speech = Recordings.librivox().get(0); // 7.1 s "and mister john dashwood had then leisure ..."
    }

    @BeforeEach
    void open() throws Exception {
        UnderstandingConfig c = new UnderstandingConfig();
        c.asrDecodersPerInstance = 1;
        c.asrMaxDecodersPerInstance = 1;
        harness = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new StreamingAsrFunction(c)),
                PerceptionFrame::getSessionId, SpeechEvent::getSessionId, Types.STRING);
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private List<TurnUpdate> updates() {
        return harness.getOutput().stream()
                .filter(o -> o instanceof StreamRecord)
                .map(o -> (TurnUpdate) ((StreamRecord<?>) o).getValue())
                .collect(Collectors.toList());
    }

    /** How far behind the watermark a session's media may be before its missing audio is given up. */
    private static final long LAG = new UnderstandingConfig().eventAudioLagMillis;

    private static long speechStart() {
        return 500_000;
    }

    private static long speechEnd() {
        return 500_000 + speech.samples.length * 1_000_000L / 16_000;
    }

    @Test
    void publishesPartialsWhileSpeakingAndTheFinalTranscriptAtEndOfTurn() throws Exception {
        List<PerceptionFrame> frames = Frames.session(S, speech.samples, 500, 800, null, 0);
        long start = speechStart();
        long end = speechEnd();
        boolean started = false;
        boolean ended = false;
        for (PerceptionFrame f : frames) {
            harness.processElement1(new StreamRecord<>(f));
            if (!started && f.getTickEndMicros() >= tickEnd(start) + 80_000) {
                harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.SPEECH_START, 1, f.getTickEndMicros(), start)));
                started = true;
            }
            if (!ended && f.getTickEndMicros() >= tickEnd(end) + 200_000) {
                harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.SPEECH_END, 1, f.getTickEndMicros(), end)));
                ended = true;
            }
        }
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.END_OF_TURN, 1, frames.get(frames.size() - 1).getTickEndMicros(), end)));

        List<TurnUpdate> out = updates();
        List<TurnUpdate> partials = out.stream().filter(u -> u.kind == TurnUpdate.Kind.PARTIAL).collect(Collectors.toList());
        assertThat(partials).hasSizeGreaterThanOrEqualTo((int) ((end - start) / 300_000) - 2); // the first one may still be empty
        for (int i = 1; i < partials.size(); i++) {
            long gap = partials.get(i).transcript.getEndMicros() - partials.get(i - 1).transcript.getEndMicros();
            assertThat(gap).as("audio between partials").isLessThanOrEqualTo(300_000 + Frames.TICK_MICROS);
        }
        assertThat(partials.get(partials.size() - 1).text()).contains("dashwood");

        TurnUpdate pause = out.stream().filter(u -> u.kind == TurnUpdate.Kind.SPEECH_PAUSE).findFirst().orElseThrow();
        TurnUpdate fin = out.get(out.size() - 1);
        assertThat(fin.kind).isEqualTo(TurnUpdate.Kind.END_OF_TURN);
        assertThat(fin.transcript.getIsFinal()).isTrue();
        assertThat(fin.text()).isEqualTo(pause.text());
        double wer = (double) Recordings.wordErrors(speech.transcript, fin.text()) / Recordings.words(speech.transcript);
        assertThat(wer).as(fin.text()).isLessThan(0.5);
        assertThat(fin.turnAudio.length / 2).as("turn audio samples").isGreaterThanOrEqualTo(speech.samples.length);
    }

    @Test
    void eventsThatArriveBeforeTheirAudioWaitForIt() throws Exception {
        List<PerceptionFrame> frames = Frames.session(S, speech.samples, 500, 600, null, 0);
        long end = speechEnd();
        long last = frames.get(frames.size() - 1).getTickEndMicros();
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.SPEECH_START, 7, tickEnd(speechStart()), speechStart())));
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.SPEECH_END, 7, tickEnd(end) + 200_000, end)));
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.END_OF_TURN, 7, last, end)));
        assertThat(updates()).isEmpty();
        for (PerceptionFrame f : frames) {
            harness.processElement1(new StreamRecord<>(f));
        }
        TurnUpdate fin = updates().get(updates().size() - 1);
        assertThat(fin.kind).isEqualTo(TurnUpdate.Kind.END_OF_TURN);
        assertThat(fin.turnId).isEqualTo(7);
        assertThat(fin.text()).contains("dashwood");
    }

    /** Feeds frames, and each event right after the frame that reaches its session time (as turn-taking would). */
    private void feed(List<PerceptionFrame> frames, List<SpeechEvent> events) throws Exception {
        int e = 0;
        for (PerceptionFrame f : frames) {
            harness.processElement1(new StreamRecord<>(f));
            while (e < events.size() && events.get(e).getSessionTimeMicros() <= f.getTickEndMicros()) {
                harness.processElement2(new StreamRecord<>(events.get(e++)));
            }
        }
        while (e < events.size()) {
            harness.processElement2(new StreamRecord<>(events.get(e++)));
        }
    }

    @Test
    void speechResumingWithinTheTurnDiscardsTheDropAndKeepsBothSegments() throws Exception {
        List<PerceptionFrame> first = Frames.session(S, speech.samples, 500, 500, null, 0);
        long end = speechEnd();
        long offset = first.get(first.size() - 1).getTickEndMicros();
        // the customer goes on talking after a short pause: another recording, on later ticks
        List<PerceptionFrame> second = Frames.session(S, Recordings.librivox().get(1).samples, 200, 500, null, 0);
        for (PerceptionFrame f : second) {
            f.setTickIndex(f.getTickIndex() + first.size());
            f.setTickStartMicros(f.getTickStartMicros() + offset);
            f.setTickEndMicros(f.getTickEndMicros() + offset);
        }
        List<PerceptionFrame> all = new java.util.ArrayList<>(first);
        all.addAll(second);
        long last = second.get(second.size() - 1).getTickEndMicros();
        feed(all, List.of(
                event(S, SpeechEventType.SPEECH_START, 3, tickEnd(speechStart()) + 80_000, speechStart()),
                event(S, SpeechEventType.SPEECH_END, 3, tickEnd(end) + 200_000, end),
                event(S, SpeechEventType.SPEECH_START, 3, offset + 280_000, offset + 200_000),
                event(S, SpeechEventType.END_OF_TURN, 3, last, last - 400_000)));

        List<TurnUpdate> out = updates();
        assertThat(out.stream().map(u -> u.kind)).contains(TurnUpdate.Kind.SPEECH_PAUSE, TurnUpdate.Kind.RESUMED);
        TurnUpdate fin = out.get(out.size() - 1);
        assertThat(fin.kind).isEqualTo(TurnUpdate.Kind.END_OF_TURN);
        assertThat(fin.text()).contains("dashwood").contains("young man");
    }

    @Test
    void theEndOfTurnNeedsOnlyTheAudioUpToTheSpeechEndNotTheSilenceAfterIt() throws Exception {
        List<PerceptionFrame> frames = Frames.session(S, speech.samples, 500, 1000, null, 0);
        long end = speechEnd();
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.SPEECH_START, 2, tickEnd(speechStart()), speechStart())));
        for (PerceptionFrame f : frames) {
            if (f.getTickEndMicros() > end + 200_000) {
                break; // the frames of the silence that the decision waited for are still on their way
            }
            harness.processElement1(new StreamRecord<>(f));
        }
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.END_OF_TURN, 2, end + 800_000, end)));
        TurnUpdate fin = updates().get(updates().size() - 1);
        assertThat(fin.kind).isEqualTo(TurnUpdate.Kind.END_OF_TURN);
        assertThat(fin.text()).contains("dashwood");
    }

    @Test
    void anEventWaitsForLateAudioUntilTheWatermarkPassesItsTime() throws Exception {
        List<PerceptionFrame> frames = Frames.session(S, speech.samples, 500, 500, null, 0);
        long end = speechEnd();
        long decidedAt = (end + 400_000) / 1000; // event time of the decision: the frame 400 ms after the speech end
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.SPEECH_START, 5, tickEnd(speechStart()), speechStart()),
                speechStart() / 1000));
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.END_OF_TURN, 5, end + 400_000, end), decidedAt));
        int half = frames.size() / 2;
        for (int i = 0; i < half; i++) {
            PerceptionFrame f = frames.get(i);
            harness.processElement1(new StreamRecord<>(f, f.getTickEndMicros() / 1000));
        }
        // the watermark of both inputs up to just before the decision: the rest of the audio may still come
        harness.processWatermark1(new Watermark(decidedAt + LAG - 1));
        harness.processWatermark2(new Watermark(decidedAt + LAG - 1));
        harness.setProcessingTime(20_000); // however long that takes on the wall clock (under the give-up time)
        assertThat(updates()).noneMatch(u -> u.kind == TurnUpdate.Kind.END_OF_TURN);
        // the watermark passes the decision without the rest of the audio: the session stopped sending, apply it
        harness.processWatermark1(new Watermark(decidedAt + LAG));
        harness.processWatermark2(new Watermark(decidedAt + LAG));
        TurnUpdate fin = updates().get(updates().size() - 1);
        assertThat(fin.kind).isEqualTo(TurnUpdate.Kind.END_OF_TURN);
        assertThat(fin.turnAudio.length / 2).isLessThan(speech.samples.length);
    }

    @Test
    void aStalledFrameInputIsWaitedOutAndTheEndOfTurnKeepsTheQueuedAudio() throws Exception {
        List<PerceptionFrame> frames = Frames.session(S, speech.samples, 500, 500, null, 0);
        long end = speechEnd();
        long now = 0;
        harness.setProcessingTime(now);
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.SPEECH_START, 6, tickEnd(speechStart()), speechStart())));
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.END_OF_TURN, 6, end + 400_000, end)));
        int half = frames.size() / 2;
        for (int i = 0; i < half; i++) {
            now += 40;
            harness.setProcessingTime(now);
            harness.processElement1(new StreamRecord<>(frames.get(i)));
        }
        // its frames stall for 5 s while another session's keep coming (its channel blocked by a checkpoint
        // alignment, or queued behind a busy task thread — seen in the TaskManager-kill test): the turn must not end early
        List<PerceptionFrame> other = Frames.session("other-session", new short[16000 * 20], 0, 0, null, 0);
        for (int i = 0; i < 125; i++) {
            now += 40;
            harness.setProcessingTime(now);
            harness.processElement1(new StreamRecord<>(other.get(i)));
        }
        assertThat(updates()).noneMatch(u -> u.kind == TurnUpdate.Kind.END_OF_TURN);
        for (int i = half; i < frames.size(); i++) {
            now += 5; // the queued frames, then
            harness.setProcessingTime(now);
            harness.processElement1(new StreamRecord<>(frames.get(i)));
        }
        TurnUpdate fin = updates().stream().filter(u -> u.kind == TurnUpdate.Kind.END_OF_TURN).findFirst().orElseThrow();
        assertThat(fin.text()).contains("dashwood");
    }

    @Test
    void whileTheWatermarkMovesTheWallClockNeverAppliesAnEventBeforeItsAudio() throws Exception {
        List<PerceptionFrame> frames = Frames.session(S, speech.samples, 500, 500, null, 0);
        List<PerceptionFrame> other = Frames.session("other-session", new short[16000 * 90], 0, 0, null, 0);
        long end = speechEnd();
        long decidedAt = (end + 400_000) / 1000;
        long now = 0;
        harness.setProcessingTime(now);
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.SPEECH_START, 8, tickEnd(speechStart()), speechStart()),
                speechStart() / 1000));
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.END_OF_TURN, 8, end + 400_000, end), decidedAt));
        int half = frames.size() / 2;
        for (int i = 0; i < half; i++) {
            PerceptionFrame f = frames.get(i);
            harness.processElement1(new StreamRecord<>(f, f.getTickEndMicros() / 1000));
        }
        // a job lagging far behind (seen after a restore: 160 s): for 60 s of wall clock none of this session's frames
        // come, another session's do, and the watermark creeps on below the decision's time
        long mark = frames.get(half - 1).getTickEndMicros() / 1000;
        for (int i = 0; i < 1500; i++) {
            now += 40;
            harness.setProcessingTime(now);
            harness.processElement1(new StreamRecord<>(other.get(i), other.get(i).getTickEndMicros() / 1000));
            long w = Math.min(decidedAt + LAG - 1, mark + i);
            harness.processWatermark1(new Watermark(w));
            harness.processWatermark2(new Watermark(w));
        }
        assertThat(updates()).noneMatch(u -> u.kind == TurnUpdate.Kind.END_OF_TURN);
        for (int i = half; i < frames.size(); i++) {
            PerceptionFrame f = frames.get(i);
            harness.processElement1(new StreamRecord<>(f, f.getTickEndMicros() / 1000));
        }
        TurnUpdate fin = updates().stream().filter(u -> u.kind == TurnUpdate.Kind.END_OF_TURN).findFirst().orElseThrow();
        assertThat(fin.text()).contains("dashwood");
    }

    @Test
    void aRestoredEventKeepsItsEventTimeAndIsAppliedWhenTheWatermarkPassesIt() throws Exception {
        List<PerceptionFrame> frames = Frames.session(S, speech.samples, 500, 500, null, 0);
        long end = speechEnd();
        long decidedAt = (end + 400_000) / 1000;
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.SPEECH_START, 9, tickEnd(speechStart()), speechStart()),
                speechStart() / 1000));
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.END_OF_TURN, 9, end + 400_000, end), decidedAt));
        for (int i = 0; i < frames.size() / 2; i++) {
            PerceptionFrame f = frames.get(i);
            harness.processElement1(new StreamRecord<>(f, f.getTickEndMicros() / 1000));
        }
        var snapshot = harness.snapshot(1, 1);
        harness.close();
        UnderstandingConfig c = new UnderstandingConfig();
        c.asrDecodersPerInstance = 1;
        c.asrMaxDecodersPerInstance = 1;
        harness = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new StreamingAsrFunction(c)),
                PerceptionFrame::getSessionId, SpeechEvent::getSessionId, Types.STRING);
        harness.initializeState(snapshot);
        harness.open();
        harness.processWatermark1(new Watermark(decidedAt + LAG - 1));
        harness.processWatermark2(new Watermark(decidedAt + LAG - 1));
        assertThat(updates()).noneMatch(u -> u.kind == TurnUpdate.Kind.END_OF_TURN);
        harness.processWatermark1(new Watermark(decidedAt + LAG));
        harness.processWatermark2(new Watermark(decidedAt + LAG));
        assertThat(updates()).anyMatch(u -> u.kind == TurnUpdate.Kind.END_OF_TURN && u.turnId == 9);
    }

    /**
     * Frames run ahead of the events derived from them (here by 12 ticks, as a loaded job does): the segment is still
     * decoded from the same audio, up to the tick at which its end was decided, so the final text is the same as when
     * each event comes right after its frame. Fed at once instead ({@code asrMaxHoldMicros} 0), the decoder gets the
     * audio that raced ahead as well.
     */
    @Test
    void framesRunningAheadOfTheEventsDoNotChangeTheDecodedAudio() throws Exception {
        TurnUpdate inStep = runWithEventsBehind(0, 600_000);
        TurnUpdate behind = runWithEventsBehind(12, 600_000);
        TurnUpdate behindFedAtOnce = runWithEventsBehind(12, 0);

        assertThat(inStep.text()).contains("dashwood");
        assertThat(behind.turnAudio).isEqualTo(inStep.turnAudio);
        assertThat(behind.text()).isEqualTo(inStep.text());
        assertThat(behind.transcript.getEndMicros()).isEqualTo(inStep.transcript.getEndMicros());
        assertThat(behindFedAtOnce.turnAudio.length).as("audio fed past the decision").isGreaterThan(inStep.turnAudio.length);
    }

    /** One turn through a fresh operator, the events {@code lagTicks} frames behind their decision; its final update. */
    private TurnUpdate runWithEventsBehind(int lagTicks, long maxHoldMicros) throws Exception {
        UnderstandingConfig c = new UnderstandingConfig();
        c.asrDecodersPerInstance = 1;
        c.asrMaxDecodersPerInstance = 1;
        c.asrMaxHoldMicros = maxHoldMicros;
        var h = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new StreamingAsrFunction(c)),
                PerceptionFrame::getSessionId, SpeechEvent::getSessionId, Types.STRING);
        h.open();
        try {
            List<PerceptionFrame> frames = Frames.session(S, speech.samples, 500, 1500, null, 0);
            long end = speechEnd();
            List<SpeechEvent> events = List.of(
                    event(S, SpeechEventType.SPEECH_START, 3, tickEnd(speechStart()) + 80_000, speechStart()),
                    event(S, SpeechEventType.SPEECH_END, 3, tickEnd(end) + 200_000, end),
                    event(S, SpeechEventType.END_OF_TURN, 3, tickEnd(end) + 600_000, end));
            long offsetMillis = 1_800_000_000_000L; // event time = session time + the session's start
            int e = 0;
            for (int k = 0; k < frames.size() + lagTicks; k++) {
                if (k < frames.size()) {
                    PerceptionFrame f = frames.get(k);
                    h.processElement1(new StreamRecord<>(f, offsetMillis + f.getTickEndMicros() / 1000));
                }
                int decided = k - lagTicks; // turn-taking has got this far
                if (decided < 0) {
                    continue;
                }
                long upTo = frames.get(Math.min(decided, frames.size() - 1)).getTickEndMicros();
                while (e < events.size() && events.get(e).getSessionTimeMicros() <= upTo) {
                    SpeechEvent ev = events.get(e++);
                    h.processElement2(new StreamRecord<>(ev, offsetMillis + ev.getSessionTimeMicros() / 1000));
                }
                h.processBothWatermarks(new Watermark(offsetMillis + upTo / 1000 - 1));
            }
            List<TurnUpdate> out = h.getOutput().stream().filter(o -> o instanceof StreamRecord)
                    .map(o -> (TurnUpdate) ((StreamRecord<?>) o).getValue()).collect(Collectors.toList());
            return out.stream().filter(u -> u.kind == TurnUpdate.Kind.END_OF_TURN).findFirst().orElseThrow();
        } finally {
            h.close();
        }
    }

    @Test
    void anEventIsAppliedAfterTheGiveUpTimeWhenNoFrameComesAtAll() throws Exception {
        List<PerceptionFrame> frames = Frames.session(S, speech.samples, 500, 500, null, 0);
        long end = speechEnd();
        long now = 0;
        harness.setProcessingTime(now);
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.SPEECH_START, 7, tickEnd(speechStart()), speechStart())));
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.END_OF_TURN, 7, end + 400_000, end)));
        for (int i = 0; i < frames.size() / 2; i++) {
            now += 40;
            harness.setProcessingTime(now);
            harness.processElement1(new StreamRecord<>(frames.get(i)));
        }
        long stoppedAt = now;
        while (updates().stream().noneMatch(u -> u.kind == TurnUpdate.Kind.END_OF_TURN) && now - stoppedAt < 120_000) {
            now += 500; // the only session left, all sources idle (no watermark): its final transcript is not held forever
            harness.setProcessingTime(now);
        }
        assertThat(now - stoppedAt).isBetween(new UnderstandingConfig().eventGiveUpOnAudioMillis,
                new UnderstandingConfig().eventGiveUpOnAudioMillis + 1_000);
    }

    @Test
    void malformedAudioIsSkippedAndTheSessionGoesOn() throws Exception {
        List<PerceptionFrame> frames = Frames.session(S, speech.samples, 500, 500, null, 0);
        frames.get(5).setAudio(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.SPEECH_START, 1, tickEnd(speechStart()), speechStart())));
        for (PerceptionFrame f : frames) {
            harness.processElement1(new StreamRecord<>(f));
        }
        long last = frames.get(frames.size() - 1).getTickEndMicros();
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.END_OF_TURN, 1, last, speechEnd())));
        assertThat(updates().get(updates().size() - 1).text()).contains("dashwood");
    }

    @Test
    void aTurnThatFindsNoFreeDecoderCatchesUpWhenOneIsFreed() throws Exception {
        // one decoder for the instance: the second customer starts speaking while the first holds it
        Recordings.Utterance shortOne = Recordings.librivox().get(1); // 3 s "he was not an ill disposed young man"
        List<PerceptionFrame> a = Frames.session("session-a", shortOne.samples, 500, 800, null, 0);
        List<PerceptionFrame> b = Frames.session("session-b", speech.samples, 700, 800, null, 0);
        long aEnd = 500_000 + shortOne.samples.length * 1_000_000L / 16_000;
        long bStart = 700_000;
        long bEnd = bStart + speech.samples.length * 1_000_000L / 16_000;
        List<SpeechEvent> events = new java.util.ArrayList<>(List.of(
                event("session-a", SpeechEventType.SPEECH_START, 1, tickEnd(500_000) + 80_000, 500_000),
                event("session-b", SpeechEventType.SPEECH_START, 1, tickEnd(bStart) + 80_000, bStart),
                event("session-a", SpeechEventType.END_OF_TURN, 1, tickEnd(aEnd) + 600_000, aEnd),
                event("session-b", SpeechEventType.END_OF_TURN, 1, tickEnd(bEnd) + 600_000, bEnd)));
        events.sort(java.util.Comparator.comparingLong(SpeechEvent::getSessionTimeMicros));
        List<PerceptionFrame> frames = new java.util.ArrayList<>();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            if (i < a.size()) {
                frames.add(a.get(i));
            }
            if (i < b.size()) {
                frames.add(b.get(i));
            }
        }
        feed(frames, events);

        List<TurnUpdate> finals = updates().stream().filter(u -> u.kind == TurnUpdate.Kind.END_OF_TURN).toList();
        assertThat(finals).extracting(u -> u.sessionId).containsExactly("session-a", "session-b");
        assertThat(finals.get(0).text()).contains("young man");
        assertThat(finals.get(1).text()).as("the turn that waited for the decoder").contains("dashwood");
        assertThat(finals.get(1).transcript.getConfidence()).isEqualTo(1f);
    }

    @Test
    void speechThatInterruptsTheAgentIsTranscribedAsTheNextTurn() throws Exception {
        List<PerceptionFrame> frames = Frames.session(S, speech.samples, 500, 800, null, 0);
        long end = speechEnd();
        feed(frames, List.of(
                event(S, SpeechEventType.BARGE_IN, 3, tickEnd(speechStart()) + 200_000, speechStart()),
                event(S, SpeechEventType.END_OF_TURN, 3, tickEnd(end) + 500_000, end)));
        List<TurnUpdate> out = updates();
        assertThat(out.get(0).kind).isEqualTo(TurnUpdate.Kind.BARGE_IN);
        TurnUpdate fin = out.get(out.size() - 1);
        assertThat(fin.kind).isEqualTo(TurnUpdate.Kind.END_OF_TURN);
        assertThat(fin.turnId).isEqualTo(3);
        assertThat(fin.text()).as("the interrupting speech is the customer's next question").contains("dashwood");
    }

    @Test
    void speechAfterAPauseThatEndedTheTurnTooEarlyExtendsThatTurnsText() throws Exception {
        // the recording cut in two: END_OF_TURN in the middle, then a BARGE_IN of the answer not heard yet
        List<PerceptionFrame> frames = Frames.session(S, speech.samples, 500, 800, null, 0);
        long end = speechEnd();
        long cut = speechStart() + (end - speechStart()) / 2;
        SpeechEvent resumed = event(S, SpeechEventType.BARGE_IN, 2, tickEnd(cut) + 200_000, cut + 40_000);
        resumed.setContinuesTurnId(1);
        feed(frames, List.of(
                event(S, SpeechEventType.SPEECH_START, 1, tickEnd(speechStart()) + 80_000, speechStart()),
                event(S, SpeechEventType.END_OF_TURN, 1, tickEnd(cut) + 40_000, cut),
                resumed,
                event(S, SpeechEventType.END_OF_TURN, 2, tickEnd(end) + 500_000, end)));
        List<TurnUpdate> finals = updates().stream().filter(u -> u.kind == TurnUpdate.Kind.END_OF_TURN).toList();
        assertThat(finals).extracting(u -> u.turnId).containsExactly(1L, 2L);
        assertThat(finals.get(1).text()).as("the whole question").startsWith(finals.get(0).text()).contains("dashwood")
                .hasSizeGreaterThan(finals.get(0).text().length() + 5);
    }

    @Test
    void bargeInIsPassedOnForTheSession() throws Exception {
        harness.processElement1(new StreamRecord<>(Frames.session(S, new short[640], 0, 0, null, 0).get(0)));
        harness.processElement2(new StreamRecord<>(event(S, SpeechEventType.BARGE_IN, 4, 40_000, 20_000)));
        assertThat(updates()).extracting(u -> u.kind).containsExactly(TurnUpdate.Kind.BARGE_IN);
    }
}

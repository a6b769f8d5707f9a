package io.omnistream.operators.understand;

import static io.omnistream.operators.understand.testutils.Frames.event;
import static io.omnistream.operators.understand.testutils.Frames.tickEnd;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.turn.AgentActivity;
import io.omnistream.operators.understand.testutils.ChromiumScreenshots;
import io.omnistream.operators.understand.testutils.Frames;
import io.omnistream.operators.understand.testutils.PaceBySessionClock;
import io.omnistream.operators.understand.testutils.Recordings;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.AnalyticsRecord;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.ScreenText;
import io.omnistream.schemas.SpeechEvent;
import io.omnistream.schemas.SpeechEventType;
import io.omnistream.schemas.Transcript;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole understanding-and-answering graph on a Flink MiniCluster with real components: a spoken
 * question (espeak-ng recording) with a Chromium-rendered error dialog on the shared screen, and a
 * librivox recording in a second session, paced in real time.
 */
class UnderstandingPipelineITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    private static final String ASKER = "customer-login";
    private static final String READER = "customer-librivox";

    private static <T> List<T> drain(CloseableIterator<T> it) throws Exception {
        List<T> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        it.close();
        return out;
    }

    /** Frames and the events turn-taking would decide for one utterance starting at {@code leadMillis}. */
    private static List<SpeechEvent> turn(String session, long turnId, int leadMillis, int speechSamples, List<PerceptionFrame> frames) {
        long start = leadMillis * 1000L;
        long end = start + speechSamples * 1_000_000L / 16_000;
        long eot = Math.min(tickEnd(end) + 480_000, frames.get(frames.size() - 1).getTickEndMicros() - 1_000_000);
        return List.of(
                event(session, SpeechEventType.SPEECH_START, turnId, tickEnd(start) + 120_000, start),
                event(session, SpeechEventType.SPEECH_END, turnId, tickEnd(end) + 160_000, end),
                event(session, SpeechEventType.END_OF_TURN, turnId, eot, end));
    }

    @Test
    void aSpokenQuestionWithAnErrorDialogGetsATranscriptScreenTextAndASpokenAnswerNamingTheCode() throws Exception {
        Path work = Path.of("target/understand-it");
        short[] question = Recordings.spoken("Hello. I cannot log in, I get an error.", work, 140);
        ChromiumScreenshots.Shot dialog = ChromiumScreenshots.render(
                ChromiumScreenshots.dialogs().stream().filter(p -> p.toString().contains("signin")).findFirst().orElseThrow(),
                1280, 720, work);
        Recordings.Utterance librivox = Recordings.librivox().get(1);

        // the dialog is on screen for a few seconds before the question (OCR runs beside ASR, on a shared CI machine), and the
        // input goes on long enough for the whole answer to be spoken: an answer still playing when a bounded input ends is cut
        List<PerceptionFrame> frames = new ArrayList<>(Frames.session(ASKER, question, 4000, 8000, dialog.jpeg(), 5));
        List<PerceptionFrame> other = Frames.session(READER, librivox.samples, 600, 8000, null, 0);
        List<SpeechEvent> events = new ArrayList<>(turn(ASKER, 1, 4000, question.length, frames));
        events.addAll(turn(READER, 1, 600, librivox.samples.length, other));
        frames.addAll(other);
        frames.sort((a, b) -> Long.compare(a.getTickEndMicros(), b.getTickEndMicros()));
        events.sort((a, b) -> Long.compare(a.getSessionTimeMicros(), b.getSessionTimeMicros()));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        long start = System.currentTimeMillis() + 6000; // operators load their models first
        DataStream<PerceptionFrame> frameStream = env.fromData(frames, TypeInformation.of(PerceptionFrame.class))
                .map(new PaceBySessionClock<>(start, 0), TypeInformation.of(PerceptionFrame.class));
        DataStream<SpeechEvent> eventStream = env.fromData(events, TypeInformation.of(SpeechEvent.class))
                .map(new PaceBySessionClock<>(start, 5_000), TypeInformation.of(SpeechEvent.class));

        UnderstandingConfig config = new UnderstandingConfig();
        config.asrDecodersPerInstance = 2;
        UnderstandingStreams streams = UnderstandingPipeline.build(frameStream, eventStream, config);
        CloseableIterator<Transcript> transcripts = streams.transcripts.collectAsync();
        CloseableIterator<ScreenText> screens = streams.screenText.collectAsync();
        CloseableIterator<AgentResponse> responses = streams.responses.collectAsync();
        CloseableIterator<AgentActivity> activity = streams.agentActivity.collectAsync();
        CloseableIterator<AnalyticsRecord> analytics = streams.analytics.collectAsync();
        env.execute("understanding-it");

        List<Transcript> ts = drain(transcripts);
        List<ScreenText> st = drain(screens);
        List<AgentResponse> rs = drain(responses);
        List<AgentActivity> act = drain(activity);
        List<AnalyticsRecord> an = drain(analytics);

        // transcripts: partials then one final per session, never mixed between sessions
        Transcript askerFinal = ts.stream().filter(t -> t.getSessionId().equals(ASKER) && t.getIsFinal()).findFirst().orElseThrow();
        Transcript readerFinal = ts.stream().filter(t -> t.getSessionId().equals(READER) && t.getIsFinal()).findFirst().orElseThrow();
        assertThat(ts.stream().filter(t -> !t.getIsFinal() && t.getSessionId().equals(READER))).isNotEmpty();
        double wer = (double) Recordings.wordErrors(librivox.transcript, readerFinal.getText()) / Recordings.words(librivox.transcript);
        assertThat(wer).as(readerFinal.getText()).isLessThan(0.6);
        assertThat(askerFinal.getText()).as("something was recognised").isNotBlank();

        // screen text of the dialog, once
        assertThat(st).hasSize(1);
        assertThat(st.get(0).getSessionId()).isEqualTo(ASKER);
        assertThat(String.join(" ", st.get(0).getLines())).contains("Sign in failed");
        assertThat(st.get(0).getIdentifiers()).extracting(i -> i.getValue()).contains("0x80070005");

        // the asker's answer names the code and is spoken
        List<AgentResponse> askerAnswer = rs.stream().filter(r -> r.getSessionId().equals(ASKER)).collect(Collectors.toList());
        String text = askerAnswer.stream().filter(r -> r.getTextDelta() != null).map(AgentResponse::getTextDelta).collect(Collectors.joining());
        java.nio.file.Files.writeString(work.resolve("summary.txt"), "asker transcript: " + askerFinal.getText() + "\nreader transcript: "
                + readerFinal.getText() + "\nscreen: " + st + "\nanswer: " + text + "\ntrace: " + askerAnswer.get(askerAnswer.size() - 1).getTrace() + "\n");
        assertThat(text).as("answer to '" + askerFinal.getText() + "'").contains("0x80070005");
        List<AgentResponse> audio = askerAnswer.stream().filter(r -> r.getAudio() != null).collect(Collectors.toList());
        assertThat(audio.size() * 0.02).as("seconds of synthesized answer").isGreaterThan(4.0);
        assertThat(audio).allSatisfy(r -> assertThat(r.getAudioSampleRate()).isEqualTo(config.ttsOutputSampleRate));
        AgentResponse last = askerAnswer.get(askerAnswer.size() - 1);
        assertThat(last.getIsFinal()).isTrue();
        assertThat(last.getCancelled()).isFalse();
        assertThat(last.getTrace().getStages()).containsKeys("turn.decided", "tts.first");

        // the reader's session got its own answer
        assertThat(rs.stream().filter(r -> r.getSessionId().equals(READER) && r.getIsFinal())).hasSize(1);

        // agent activity: speaking then stopped, per session
        assertThat(act.stream().filter(a -> a.sessionId.equals(ASKER)).map(a -> a.speaking)).containsExactly(true, false);

        // analytics: final transcripts, screen text and the whole answers
        assertThat(an.stream().map(r -> r.getPayload().getClass().getSimpleName()).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("Transcript", "ScreenText", "AgentResponse");
        assertThat(an.stream().filter(r -> r.getPayload() instanceof Transcript)).hasSize(2);
    }
}

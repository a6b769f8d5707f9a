package io.omnistream.loadtests.eval;

import io.omnistream.operators.audio.Pcm16;
import io.omnistream.operators.perception.ModelFiles;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.TrackState;
import io.omnistream.schemas.VideoFrame;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.connector.datagen.source.GeneratorFunction;

/**
 * Replays the evaluation sessions as the aligner would emit them: one {@link PerceptionFrame} per
 * 40 ms tick per session (sessions interleaved tick by tick, as live sessions are), holding exactly
 * the tick's PCM16 audio and the newest 15 fps camera picture captured at or before the tick end
 * (camera off → no picture, state MISSING). The sessions are regenerated deterministically in
 * {@link #open}, so the job graph carries only the scenario list. Run the source with parallelism 1
 * so that every session's ticks stay in order.
 */
public final class EvalFrameSource implements GeneratorFunction<Long, PerceptionFrame> {
    private static final long serialVersionUID = 1L;
    public static final int TICK_SAMPLES = 640;
    public static final long TICK_MICROS = 40_000;

    private final List<String> scenarios;
    private final int customers;
    private final long startDelayMillis;
    private final EvalSetGenerator.LipModel lipModel;

    private transient List<EvalSession> sessions;
    private transient long[] order;
    private transient TalkingFace face;

    /** @param startDelayMillis wait before the first frame, so that the agent-activity input is in place first */
    public EvalFrameSource(List<String> scenarios, int customers, EvalSetGenerator.LipModel lipModel, long startDelayMillis) {
        this.lipModel = lipModel;
        this.scenarios = List.copyOf(scenarios);
        this.customers = customers;
        this.startDelayMillis = startDelayMillis;
    }

    public static long[] interleave(List<EvalSession> sessions) {
        int max = sessions.stream().mapToInt(s -> s.audio.length / TICK_SAMPLES).max().orElse(0);
        long total = sessions.stream().mapToLong(s -> s.audio.length / TICK_SAMPLES).sum();
        long[] order = new long[(int) total];
        int k = 0;
        for (int t = 0; t < max; t++) {
            for (int s = 0; s < sessions.size(); s++) {
                if (t < sessions.get(s).audio.length / TICK_SAMPLES) {
                    order[k++] = ((long) s << 32) | t;
                }
            }
        }
        return order;
    }

    public static long frameCount(List<EvalSession> sessions) {
        return sessions.stream().mapToLong(s -> s.audio.length / TICK_SAMPLES).sum();
    }

    @Override
    public void open(SourceReaderContext readerContext) throws Exception {
        sessions = EvalSetGenerator.fromDebianRecordings().withLipModel(lipModel).generate(scenarios, customers);
        order = interleave(sessions);
        face = new TalkingFace(ModelFiles.modelsDir());
        Thread.sleep(startDelayMillis);
    }

    @Override
    public PerceptionFrame map(Long index) {
        long o = order[(int) (long) index];
        return frame(sessions.get((int) (o >>> 32)), (int) o, face);
    }

    public static PerceptionFrame frame(EvalSession s, int tick, TalkingFace face) {
        long start = tick * TICK_MICROS;
        long end = start + TICK_MICROS;
        int k = Math.min(s.pictureMode.length - 1, EvalSession.pictureAt(end - 1));
        VideoFrame camera = null;
        TrackState state = TrackState.MISSING;
        if (s.pictureMode[k] != 0) {
            byte[] jpeg = s.pictureMode[k] == TalkingFace.FRONT ? face.front(s.opening[k]) : face.turnedAway();
            camera = VideoFrame.newBuilder().setSeq(k).setCaptureTimeMicros(EvalSession.pictureTimeMicros(k))
                    .setWidth(TalkingFace.SIZE).setHeight(TalkingFace.SIZE).setJpeg(ByteBuffer.wrap(jpeg)).build();
            state = TrackState.OK;
        }
        long now = System.currentTimeMillis() * 1000;
        return PerceptionFrame.newBuilder()
                .setSessionId(s.id)
                .setTickIndex(tick)
                .setTickStartMicros(start)
                .setTickEndMicros(end)
                .setAudio(ByteBuffer.wrap(Pcm16.toBytes(s.audio, tick * TICK_SAMPLES, TICK_SAMPLES)))
                .setAudioGapSamples(0)
                .setCamera(camera)
                .setCameraState(state)
                .setScreen(null)
                .setScreenState(TrackState.MISSING)
                .setMaxArrivalTimeMicros(now)
                .setEmitTimeMicros(now)
                .build();
    }
}

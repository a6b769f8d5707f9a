package io.omnistream.loadtests.route;

import io.omnistream.loadtests.eval.EvalSession;
import io.omnistream.loadtests.eval.TalkingFace;
import io.omnistream.operators.audio.Pcm16;
import io.omnistream.operators.perception.ModelFiles;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.TrackState;
import io.omnistream.schemas.VideoFrame;
import java.io.ObjectInputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.connector.datagen.source.GeneratorFunction;

/**
 * Replays the tuner's sessions as the aligner emits them: one {@link PerceptionFrame} per 40 ms tick per session,
 * with the tick's audio, the newest camera picture and the newest screen picture at or before the tick end (flagged
 * as changed on the tick it changed). Sessions run concurrently in groups (ticks interleaved within a group), so
 * that the number of simultaneous turns stays within the ASR decoder pool, as on one task slot in production.
 * The sessions are read in {@link #open} from the file the tuner wrote, so the job graph stays small.
 */
public final class TunerFrameSource implements GeneratorFunction<Long, PerceptionFrame> {
    private static final long serialVersionUID = 1L;
    public static final int TICK_SAMPLES = 640;
    public static final long TICK_MICROS = 40_000;

    private final String sessionsFile;
    private final int group;
    private final long startDelayMillis;
    private transient List<TunerSession> sessions;
    private transient long[] order;
    private transient TalkingFace face;

    public TunerFrameSource(Path sessionsFile, int group, long startDelayMillis) {
        this.sessionsFile = sessionsFile.toString();
        this.group = group;
        this.startDelayMillis = startDelayMillis;
    }

    @SuppressWarnings("unchecked")
    static List<TunerSession> read(Path file) throws Exception {
        try (ObjectInputStream in = new ObjectInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            return (List<TunerSession>) in.readObject();
        }
    }

    public static long[] order(List<TunerSession> sessions, int group) {
        long total = frameCount(sessions);
        long[] order = new long[(int) total];
        int k = 0;
        for (int g = 0; g < sessions.size(); g += group) {
            int to = Math.min(sessions.size(), g + group);
            int max = 0;
            for (int s = g; s < to; s++) {
                max = Math.max(max, sessions.get(s).audio.length / TICK_SAMPLES);
            }
            for (int t = 0; t < max; t++) {
                for (int s = g; s < to; s++) {
                    if (t < sessions.get(s).audio.length / TICK_SAMPLES) {
                        order[k++] = ((long) s << 32) | t;
                    }
                }
            }
        }
        return order;
    }

    public static long frameCount(List<TunerSession> sessions) {
        return sessions.stream().mapToLong(s -> s.audio.length / TICK_SAMPLES).sum();
    }

    @Override
    public void open(SourceReaderContext readerContext) throws Exception {
        sessions = read(Path.of(sessionsFile));
        order = order(sessions, group);
        face = new TalkingFace(ModelFiles.modelsDir());
        Thread.sleep(startDelayMillis);
    }

    @Override
    public PerceptionFrame map(Long index) {
        long o = order[(int) (long) index];
        return frame(sessions.get((int) (o >>> 32)), (int) o, face);
    }

    static PerceptionFrame frame(TunerSession s, int tick, TalkingFace face) {
        long start = tick * TICK_MICROS;
        long end = start + TICK_MICROS;
        int k = Math.min(s.pictureMode.length - 1, EvalSession.pictureAt(end - 1));
        VideoFrame camera = null;
        TrackState cameraState = TrackState.MISSING;
        if (s.pictureMode[k] != 0) {
            byte[] jpeg = s.pictureMode[k] == TalkingFace.FRONT ? face.front(s.opening[k]) : face.turnedAway();
            camera = VideoFrame.newBuilder().setSeq(k).setCaptureTimeMicros(EvalSession.pictureTimeMicros(k))
                    .setWidth(TalkingFace.SIZE).setHeight(TalkingFace.SIZE).setJpeg(ByteBuffer.wrap(jpeg)).build();
            cameraState = TrackState.OK;
        }
        int shown = s.screenAt(end - 1);
        VideoFrame screen = null;
        if (shown >= 0) {
            screen = VideoFrame.newBuilder().setSeq(shown).setCaptureTimeMicros(s.screenChangeMicros.get(shown))
                    .setWidth(1280).setHeight(720).setJpeg(ByteBuffer.wrap(s.screenJpeg.get(shown))).build();
        }
        long now = System.currentTimeMillis() * 1000;
        return PerceptionFrame.newBuilder()
                .setSessionId(s.id)
                .setTickIndex(tick)
                .setTickStartMicros(start)
                .setTickEndMicros(end)
                .setAudio(ByteBuffer.wrap(Pcm16.toBytes(s.audio, tick * TICK_SAMPLES, TICK_SAMPLES)))
                .setCamera(camera)
                .setCameraState(cameraState)
                .setScreen(screen)
                .setScreenState(screen == null ? TrackState.MISSING : TrackState.OK)
                .setScreenChanged(shown >= 0 && shown != s.screenAt(start - 1))
                .setMaxArrivalTimeMicros(now)
                .setEmitTimeMicros(now)
                .build();
    }
}

package io.omnistream.operators.gpu;

import io.omnistream.gpu.encoders.Encoders;
import io.omnistream.gpu.encoders.face.BlazeFaceDecoder;
import io.omnistream.gpu.encoders.face.BlazeFaceEncoder;
import io.omnistream.gpu.encoders.face.BlazeFaceTwin;
import io.omnistream.gpu.encoders.face.BlazeFaceWeights;
import io.omnistream.gpu.encoders.face.FaceBox;
import io.omnistream.gpu.encoders.face.JpegFaces;
import io.omnistream.operators.face.BlazeFaceDetector;
import io.omnistream.operators.face.LipTracker;
import io.omnistream.operators.perception.ModelFiles;
import io.omnistream.operators.perception.PerceptionConfig;
import io.omnistream.operators.perception.PerceptionFunction;
import io.omnistream.schemas.DetectedFace;
import io.omnistream.schemas.FaceDetection;
import io.omnistream.schemas.FaceMode;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.RouteDecision;
import io.omnistream.schemas.TrackState;
import io.omnistream.schemas.VideoFrame;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * BlazeFace on the camera pictures of all sessions of a subtask, batched: placed on the session-keyed stream in front
 * of perception (after the batched VAD), it decides per session which new camera pictures perception would run the
 * detector on, decodes and letterboxes them exactly as {@link BlazeFaceDetector} does, runs them together through one
 * {@link BlazeFaceEncoder} ({@link Encoders#blazeFace}: CUDA when a GPU is present, the Java twin otherwise) and
 * {@link BlazeFaceDecoder} (the detector's anchor decoding and weighted NMS), and attaches the faces, in picture
 * pixels, to the frame ({@code PerceptionFrame.faceDetection}). {@link PerceptionFunction} then uses them instead of one
 * ONNX Runtime call per session and picture.
 *
 * <p>It exists because the per-session detector is, with the VAD, where perception's CPU goes at hundreds of
 * sessions. The schedule mirrors perception's own ({@code LipTracker}): only pictures perception would look at (a
 * usable camera track, a picture it has not seen, the router's face mode not {@code OFF} and lip features on); with
 * the router's {@code EVERY_FRAME} every picture, with {@code EVERY_NTH} (or routing off: {@link
 * PerceptionConfig#detectEveryNthFrame}) the first picture and then every N-th, counted per session in keyed state
 * ({@link SessionFace}, restored after a failover), and the next picture again while the last detection found no
 * usable face; {@code TRACK_ONLY} none. A picture on which perception loses its track between these detections is
 * still detected by perception itself, as without the stage.
 *
 * <p>Where the pictures are decoded depends on the encoder ({@link FaceJpegDecoding}, default {@code AUTO}). With the
 * CUDA encoder and nvJPEG usable ({@link BlazeFaceEncoder#decodesJpegOnDevice()}) the batch's JPEG bytes go to
 * {@link BlazeFaceEncoder#detectJpeg}: decoded on the GPU, letterboxed there by the same geometry and fed to the
 * network, so the decoded pixels never cross PCIe (only candidates come back); its faces equal the host path's within
 * the JPEG decoders' differences (boxes within 2 px, scores 0.02: {@code BlazeFaceJpegGpuTest}; measured 0.13 px on
 * the H200). A picture the device decodes but that is smaller than 16×16 is treated as perception treats it: bad. With the Java twin the host path stays: OpenCV
 * decodes (as perception does) and {@link BlazeFaceDetector#letterbox} prepares the input, which keeps the twin's
 * faces equal to perception's own detector; {@code ENCODER} sends the twin's batches through {@code detectJpeg} too
 * (the JDK's decoder, the specification of the GPU path), which is how the CPU tests check this path's handling of
 * schedules and bad pictures.
 *
 * <p>A picture that cannot be decoded passes through without faces and is counted ({@code gpu.faceBadPictures});
 * perception then reports it as always, and the other pictures of the batch are unaffected. A failing encoder
 * leaves the batch's pictures to perception ({@code gpu.faceFallbacks}). Frames with nothing to detect go straight
 * through unless a frame of the same session is waiting for its batch, so a session's frames keep their order and
 * only detection pictures wait for the batch ({@link GpuStagesConfig#faceBatch}). A session's next picture arriving
 * while its previous one still waits (a burst after back-pressure) runs the batch first, since whether it is detected
 * depends on what the previous one showed.
 */
public final class BatchedFaceOperator
        extends AbstractGpuBatchOperator<PerceptionFrame, BatchedFaceOperator.Prepared, PerceptionFrame> {

    private static final long serialVersionUID = 1L;

    /** One session's detection schedule in Flink keyed state. */
    public static final class SessionFace {
        /** Seq of the last camera picture perception would look at; {@code Long.MIN_VALUE} after the camera left. */
        public long lastSeq = Long.MIN_VALUE;
        /** Pictures since the last detection here. */
        public int picturesSinceDetect;
        /** Whether the last detection here found a face perception can use (else the next picture is detected too). */
        public boolean faceFound;
        /** Detections run for the session. */
        public long detections;

        public SessionFace() {}
    }

    /**
     * A frame, with what is to be detected: its letterboxed picture (host path), or its JPEG bytes (device decoding);
     * neither: passes through.
     */
    static final class Prepared {
        final PerceptionFrame frame;
        final float[] input;
        final BlazeFaceDetector.Geometry geometry;
        final int pictureWidth;
        final byte[] jpeg;
        /** The schedule's count before this detection, restored when the device cannot decode the picture. */
        final int picturesSinceDetectBefore;

        Prepared(PerceptionFrame frame, float[] input, BlazeFaceDetector.Geometry geometry, int pictureWidth) {
            this.frame = frame;
            this.input = input;
            this.geometry = geometry;
            this.pictureWidth = pictureWidth;
            this.jpeg = null;
            this.picturesSinceDetectBefore = 0;
        }

        Prepared(PerceptionFrame frame, byte[] jpeg, int picturesSinceDetectBefore) {
            this.frame = frame;
            this.input = null;
            this.geometry = null;
            this.pictureWidth = 0;
            this.jpeg = jpeg;
            this.picturesSinceDetectBefore = picturesSinceDetectBefore;
        }

        boolean detects() {
            return input != null || jpeg != null;
        }
    }

    private final PerceptionConfig perception;
    private final FaceJpegDecoding jpegDecoding;

    private transient BlazeFaceEncoder encoder;
    private transient BlazeFaceDecoder decoder;
    /** Whether pictures are decoded on the GPU ({@link BlazeFaceEncoder#detectJpeg}) rather than on the host. */
    private transient boolean decodeWithEncoder;
    private transient ValueState<SessionFace> state;
    /** Sessions with a frame waiting for the batch (their later frames wait too, to keep the order). */
    private transient Set<Object> pendingKeys;
    /** Sessions with a picture waiting for the batch. */
    private transient Set<Object> pendingDetections;
    private transient Prepared decided;
    private transient Counter badPictures;
    private transient Counter fallbacks;
    private transient Counter detections;
    private transient Counter straight;
    private transient boolean loggedBadPicture;

    /**
     * @param perception the perception settings the schedule and the detector's rules come from (models folder,
     *                   detection period, minimum score, NMS overlap, minimum face width, JPEG and camera-age limits)
     * @param batch      when a batch runs
     */
    public BatchedFaceOperator(PerceptionConfig perception, GpuBatchConfig batch) {
        this(perception, batch, FaceJpegDecoding.AUTO);
    }

    /** @param jpegDecoding where the pictures are decoded ({@link FaceJpegDecoding#AUTO}: on the GPU when it can) */
    public BatchedFaceOperator(PerceptionConfig perception, GpuBatchConfig batch, FaceJpegDecoding jpegDecoding) {
        super(batch);
        this.perception = perception;
        this.jpegDecoding = jpegDecoding == null ? FaceJpegDecoding.AUTO : jpegDecoding;
    }

    /** Adds the operator to routed frames keyed by session id; the output is the same frames, faces attached. */
    public static SingleOutputStreamOperator<PerceptionFrame> apply(KeyedStream<PerceptionFrame, String> frames,
            PerceptionConfig perception, GpuBatchConfig batch) {
        return apply(frames, perception, batch, FaceJpegDecoding.AUTO);
    }

    /** As {@link #apply(KeyedStream, PerceptionConfig, GpuBatchConfig)}, decoding where {@code jpegDecoding} says. */
    public static SingleOutputStreamOperator<PerceptionFrame> apply(KeyedStream<PerceptionFrame, String> frames,
            PerceptionConfig perception, GpuBatchConfig batch, FaceJpegDecoding jpegDecoding) {
        return frames.transform("gpu: BlazeFace batched across sessions", new AvroTypeInfo<>(PerceptionFrame.class),
                new BatchedFaceOperator(perception, batch, jpegDecoding));
    }

    @Override
    protected void openKernel() throws Exception {
        state = getPartitionedState(new ValueStateDescriptor<>("batchedFace", TypeInformation.of(SessionFace.class)));
        MetricGroup gpu = getMetricGroup().addGroup("gpu");
        badPictures = gpu.counter("faceBadPictures");
        fallbacks = gpu.counter("faceFallbacks");
        detections = gpu.counter("faceDetections");
        straight = gpu.counter("facePassedStraight");
        pendingKeys = new HashSet<>();
        pendingDetections = new HashSet<>();
        BlazeFaceWeights weights = BlazeFaceWeights.load(
                ModelFiles.require(perception.resolveModelsDir(), ModelFiles.BLAZEFACE_FRONT));
        encoder = config.useGpu ? Encoders.blazeFace(weights) : new BlazeFaceTwin(weights);
        decoder = new BlazeFaceDecoder(perception.faceMinScore, perception.faceNmsIou);
        decodeWithEncoder = switch (jpegDecoding) {
            case AUTO -> encoder.onGpu() && encoder.decodesJpegOnDevice();
            case HOST -> false;
            case ENCODER -> true;
        };
        LOG.info("BlazeFace batched on {}; camera pictures decoded {}", encoder.onGpu() ? "the GPU" : "the CPU (Java twin)",
                !decodeWithEncoder ? "on the host (OpenCV)" : encoder.decodesJpegOnDevice() ? "on the GPU (nvJPEG)"
                        : "by the encoder (JDK decoder, the specification)");
    }

    /** Whether camera pictures go to the encoder's {@code detectJpeg} (nvJPEG on a GPU) instead of OpenCV on the host. */
    public boolean decodesWithEncoder() {
        return decodeWithEncoder;
    }

    @Override
    protected boolean kernelOnGpu() {
        return encoder != null && encoder.onGpu();
    }

    /** Pictures that could not be decoded (passed through for perception to report). */
    public long badPictureCount() {
        return badPictures == null ? 0 : badPictures.getCount();
    }

    /** Pictures detected here. */
    public long detectionCount() {
        return detections == null ? 0 : detections.getCount();
    }

    /** Pictures left to perception because the encoder failed. */
    public long fallbackCount() {
        return fallbacks == null ? 0 : fallbacks.getCount();
    }

    /** Frames that went straight through without waiting for a batch. */
    public long passedStraightCount() {
        return straight == null ? 0 : straight.getCount();
    }

    @Override
    protected void closeKernel() {
        if (encoder != null) {
            encoder.close();
            encoder = null;
        }
    }

    @Override
    public void processElement(StreamRecord<PerceptionFrame> record) throws Exception {
        Object key = getCurrentKey();
        if (pendingDetections.contains(key) && record.getValue().getCamera() != null) {
            // the schedule of this picture depends on what the waiting one shows (a burst after back-pressure)
            flushAll();
        }
        Prepared p = decide(record.getValue());
        if (!p.detects() && !pendingKeys.contains(key)) {
            straight.inc();
            output.collect(record);
            return;
        }
        pendingKeys.add(key);
        if (p.detects()) {
            pendingDetections.add(key);
        }
        decided = p;
        super.processElement(record);
    }

    @Override
    protected Prepared prepare(PerceptionFrame frame) {
        Prepared p = decided;
        decided = null;
        return p;
    }

    /** Perception's schedule for the frame's picture, in the frame's key context; decodes the picture when it is due. */
    private Prepared decide(PerceptionFrame frame) throws Exception {
        Prepared pass = new Prepared(frame, null, null, 0);
        VideoFrame cam = frame.getCamera();
        TrackState cs = frame.getCameraState();
        boolean usableTrack = cam != null && (cs == TrackState.OK || cs == TrackState.STALE)
                && frame.getTickEndMicros() - cam.getCaptureTimeMicros() <= perception.maxCameraAgeMicros;
        if (!usableTrack) {
            if (cs == TrackState.ENDED || cs == TrackState.MISSING || cam == null) {
                state.clear(); // camera gone: perception drops the face, the next picture is detected afresh
            }
            return pass;
        }
        SessionFace s = state.value();
        if (s == null) {
            s = new SessionFace();
        }
        if (cam.getSeq() == s.lastSeq) {
            return pass;
        }
        RouteDecision route = frame.getRoute();
        if (route != null && (route.getFaceMode() == FaceMode.OFF || !route.getLipFeatures())) {
            return pass; // perception does not even decode it
        }
        s.lastSeq = cam.getSeq();
        int every = perception.detectEveryNthFrame;
        boolean mayDetect = true;
        if (route != null) {
            FaceMode mode = route.getFaceMode();
            every = mode == FaceMode.EVERY_FRAME ? 1 : Math.max(1, route.getFaceEveryN());
            mayDetect = mode != FaceMode.TRACK_ONLY;
        }
        boolean due = mayDetect && (!s.faceFound || s.picturesSinceDetect + 1 >= every);
        if (!due) {
            s.picturesSinceDetect++;
            state.update(s);
            return pass;
        }
        ByteBuffer jb = cam.getJpeg();
        byte[] jpeg = new byte[jb == null ? 0 : jb.remaining()];
        if (jb != null) {
            jb.duplicate().get(jpeg);
        }
        if (decodeWithEncoder) {
            if (jpeg.length == 0 || jpeg.length > perception.maxJpegBytes) {
                badPicture(frame, cam, jpeg.length == 0 ? "empty JPEG" : "oversized JPEG: " + jpeg.length + " bytes");
                state.update(s); // as perception: the picture counts as seen, the schedule does not move
                return pass;
            }
            int before = s.picturesSinceDetect;
            s.picturesSinceDetect = 0;
            s.detections++;
            state.update(s);
            return new Prepared(frame, jpeg, before); // decoded with the batch, on the GPU
        }
        float[] input = new float[BlazeFaceEncoder.IMAGE];
        BlazeFaceDetector.Geometry geometry;
        int width;
        try (Mat bgr = LipTracker.decode(jpeg, perception.maxJpegBytes)) {
            geometry = BlazeFaceDetector.letterbox(bgr, input, 0);
            width = bgr.cols();
        } catch (LipTracker.BadPictureException | RuntimeException e) {
            badPicture(frame, cam, e.getMessage());
            state.update(s); // as perception: the picture counts as seen, the schedule does not move
            return pass;
        }
        s.picturesSinceDetect = 0;
        s.detections++;
        state.update(s);
        return new Prepared(frame, input, geometry, width);
    }

    /** Counts a picture that cannot be decoded (logged once per operator instance). */
    private void badPicture(PerceptionFrame frame, VideoFrame cam, String why) {
        badPictures.inc();
        if (!loggedBadPicture) {
            loggedBadPicture = true;
            LOG.warn("session {} tick {}: camera picture {} not decodable ({}); passed to perception without faces,"
                    + " counted in gpu.faceBadPictures; further ones are not logged", frame.getSessionId(),
                    frame.getTickIndex(), cam.getSeq(), why);
        }
    }

    @Override
    protected void runBatch(int group, List<Pending<Prepared>> batch) throws Exception {
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            if (batch.get(i).value.detects()) {
                rows.add(i);
            }
        }
        int n = rows.size();
        List<List<FaceBox>> faces = null;
        int[] widths = null;
        if (n > 0 && decodeWithEncoder) {
            List<byte[]> jpegs = new ArrayList<>(n);
            for (int r : rows) {
                jpegs.add(batch.get(r).value.jpeg);
            }
            try {
                List<JpegFaces> found = encoder.detectJpeg(jpegs, decoder);
                faces = new ArrayList<>(n);
                widths = new int[n];
                for (int r = 0; r < n; r++) {
                    JpegFaces f = found.get(r);
                    boolean usable = f.decoded() && f.width() >= 16 && f.height() >= 16; // perception's smallest picture
                    faces.add(usable ? f.faces() : null);
                    widths[r] = f.width();
                }
            } catch (RuntimeException e) {
                fallbacks.inc(n);
                LOG.warn("BlazeFace batch of {} pictures failed; perception detects them itself", n, e);
                faces = null;
            }
        } else if (n > 0) {
            float[] images = new float[n * BlazeFaceEncoder.IMAGE];
            for (int r = 0; r < n; r++) {
                System.arraycopy(batch.get(rows.get(r)).value.input, 0, images, r * BlazeFaceEncoder.IMAGE, BlazeFaceEncoder.IMAGE);
            }
            float[] scores = new float[n * BlazeFaceEncoder.ANCHORS];
            float[] boxes = new float[n * BlazeFaceEncoder.ANCHORS * BlazeFaceEncoder.BOX];
            try {
                encoder.forward(images, n, scores, boxes);
                faces = new ArrayList<>(n);
                for (int r = 0; r < n; r++) {
                    BlazeFaceDetector.Geometry g = batch.get(rows.get(r)).value.geometry;
                    List<FaceBox> inPicture = new ArrayList<>();
                    for (FaceBox f : decoder.decode(scores, boxes, r)) {
                        inPicture.add(f.toPicture(g.scale(), g.padX(), g.padY()));
                    }
                    faces.add(inPicture);
                }
            } catch (RuntimeException e) {
                fallbacks.inc(n);
                LOG.warn("BlazeFace batch of {} pictures failed; perception detects them itself", n, e);
                faces = null;
            }
        }
        if (faces != null) {
            for (int r = 0; r < n; r++) {
                Pending<Prepared> p = batch.get(rows.get(r));
                List<FaceBox> found = faces.get(r);
                PerceptionFrame f = p.value.frame;
                setCurrentKey(p.key);
                SessionFace s = state.value();
                if (found == null) { // the encoder could not decode it: as a bad picture on the host path
                    badPicture(f, f.getCamera(), "not decodable by the encoder's JPEG decoder");
                    if (s != null) {
                        s.picturesSinceDetect = p.value.picturesSinceDetectBefore;
                        s.detections--;
                        state.update(s);
                    }
                    continue;
                }
                f.setFaceDetection(toRecord(f.getCamera().getSeq(), found)); // records are not shared (no object reuse)
                detections.inc();
                if (s != null) {
                    s.faceFound = usableFace(found, widths != null ? widths[r] : p.value.pictureWidth);
                    state.update(s);
                }
            }
        } else if (n > 0) {
            for (int r = 0; r < n; r++) {
                setCurrentKey(batch.get(rows.get(r)).key);
                SessionFace s = state.value();
                if (s != null) {
                    s.faceFound = false; // perception detects these itself; the next picture is tried here again
                    state.update(s);
                }
            }
        }
        for (Pending<Prepared> p : batch) {
            emit(p, p.value.frame);
        }
        pendingKeys.clear(); // one batch group: nothing waits after a flush
        pendingDetections.clear();
    }

    /** Whether perception's tracker would adopt one of the faces (its minimum width; see {@code LipTracker}). */
    private boolean usableFace(List<FaceBox> faces, int pictureWidth) {
        for (FaceBox f : faces) {
            if (f.width() >= perception.minFaceWidthFraction * pictureWidth) {
                return true;
            }
        }
        return false;
    }

    static FaceDetection toRecord(long pictureSeq, List<FaceBox> faces) {
        List<DetectedFace> out = new ArrayList<>(faces.size());
        for (FaceBox f : faces) {
            List<Float> kp = new ArrayList<>(f.keypoints().length);
            for (float v : f.keypoints()) {
                kp.add(v);
            }
            out.add(DetectedFace.newBuilder().setX(f.x()).setY(f.y()).setWidth(f.width()).setHeight(f.height())
                    .setScore(f.score()).setKeypoints(kp).build());
        }
        return FaceDetection.newBuilder().setPictureSeq(pictureSeq).setFaces(out).build();
    }
}

package io.omnistream.gpu.encoders.face;

import static io.omnistream.gpu.testutils.GpuAssumptions.assumeGpu;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.encoders.EncoderModels;
import io.omnistream.gpu.encoders.EncoderModule;
import io.omnistream.gpu.image.NvJpegDecoder;
import io.omnistream.gpu.image.RgbLetterboxTwin;
import io.omnistream.gpu.image.RgbPicture;
import io.omnistream.gpu.runtime.GpuRuntime;
import io.omnistream.gpu.testutils.JpegPictureSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The JPEG camera path on the device ({@link BlazeFaceCuda#detectJpeg}: nvJPEG → {@code bf_rgb_letterbox} → network →
 * candidates) against its host specification ({@link BlazeFaceTwin} on the JDK decoder's RGB of the same JPEGs), on
 * real pictures of mixed sizes (161×121 … 640×480, portrait, a scaled and a cropped photo, one without a face) in one
 * batch with bad pictures in the middle.
 *
 * <p>Tolerances: the two JPEG decoders may differ by a few levels per pixel (IDCT, chroma upsampling), so the network
 * inputs are compared on their mean (≤ 0.01, 1.3 levels of 255) and maximum (≤ 0.3, 38 levels: a sharp colour edge
 * under different chroma upsampling) absolute difference;
 * the faces must be the same in number per picture, boxes and keypoints within 2 px (picture pixels), scores within
 * 0.02. Bad pictures give no faces and an error, and the others' faces equal those of the batch without them (within
 * 1e-3 px: the device's batched GEMMs may split work differently at another batch size).
 */
class BlazeFaceJpegGpuTest {
    private static final BlazeFaceDecoder DECODER = new BlazeFaceDecoder(0.6f, 0.3f);
    private BlazeFaceWeights weights;
    private List<JpegPictureSet.Picture> pictures;
    private BlazeFaceCuda cuda;

    @BeforeEach
    void setUp() throws Exception {
        assumeGpu();
        Assumptions.assumeTrue(EncoderModule.present(), "encoder kernels not built");
        weights = BlazeFaceWeights.load(EncoderModels.require(EncoderModels.BLAZEFACE_FRONT));
        pictures = JpegPictureSet.pictures();
        cuda = new BlazeFaceCuda(GpuRuntime.newContext(), weights);
        // On a GPU machine nvJPEG must be there: a failure here is a finding, not a reason to skip.
        assertThat(cuda.jpegOnDevice()).as("nvJPEG usable: %s", cuda.jpegUnavailableReason()).isTrue();
    }

    @AfterEach
    void tearDown() {
        if (cuda != null) {
            cuda.close();
        }
    }

    private static byte[] garbage() {
        byte[] g = new byte[5000];
        new SplittableRandom(7).nextBytes(g);
        g[0] = (byte) 0xFF;
        g[1] = (byte) 0xD8;
        return g;
    }

    private List<byte[]> jpegs() {
        List<byte[]> out = new ArrayList<>();
        for (JpegPictureSet.Picture p : pictures) {
            out.add(p.jpeg());
        }
        return out;
    }

    @Test
    void deviceDecodedLetterboxIsCloseToTheJdkDecoderAndTheTwin() {
        List<byte[]> jpegs = jpegs();
        float[] gpu = new float[jpegs.size() * BlazeFaceEncoder.IMAGE];
        NvJpegDecoder.Batch b = cuda.letterboxJpeg(jpegs, gpu);
        assertThat(b.decoded()).as("first error: %s", b.error(0)).hasSize(jpegs.size());
        float[] twin = new float[gpu.length];
        double sum = 0;
        double worst = 0;
        for (int i = 0; i < pictures.size(); i++) {
            RgbPicture p = pictures.get(i).rgb();
            assertThat(b.width(i)).isEqualTo(p.width());
            assertThat(b.height(i)).isEqualTo(p.height());
            RgbLetterboxTwin.letterbox(p, twin, i * BlazeFaceEncoder.IMAGE);
        }
        for (int i = 0; i < gpu.length; i++) {
            double d = Math.abs(gpu[i] - twin[i]);
            sum += d;
            worst = Math.max(worst, d);
        }
        double mean = sum / gpu.length;
        System.out.printf("nvJPEG + bf_rgb_letterbox vs JDK decoder + RgbLetterboxTwin on %s: %d pictures, mean |diff| %.2e"
                + " (%.2f levels), max |diff| %.2e (%.1f levels)%n", GpuRuntime.device(), pictures.size(), mean, mean * 127.5,
                worst, worst * 127.5);
        assertThat(mean).isLessThanOrEqualTo(0.01);
        assertThat(worst).isLessThanOrEqualTo(0.3);
    }

    @Test
    void deviceFacesMatchTheTwinOnMixedSizesWithBadPicturesInTheMiddle() {
        BlazeFaceTwin twin = new BlazeFaceTwin(weights);
        List<RgbPicture> rgb = new ArrayList<>();
        for (JpegPictureSet.Picture p : pictures) {
            rgb.add(p.rgb());
        }
        List<List<FaceBox>> ref = twin.detectRgb(rgb, DECODER);
        List<byte[]> good = jpegs();
        assertThat(cuda.detectJpeg(List.of(), DECODER)).isEmpty();
        // The bad ones: noise after a start-of-image marker, a header cut short, nothing, not a JPEG at all.
        List<byte[]> mixed = new ArrayList<>(good);
        int middle = good.size() / 2;
        mixed.add(middle, garbage());
        mixed.add(middle + 1, Arrays.copyOf(good.get(3), 40));
        mixed.add(1, new byte[0]);
        mixed.add(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        List<Integer> badAt = new ArrayList<>();
        for (int i = 0; i < mixed.size(); i++) {
            if (!good.contains(mixed.get(i))) {
                badAt.add(i);
            }
        }
        double worstBox = 0;
        double worstScore = 0;
        int faces = 0;
        long allocations = -1;
        for (int round = 0; round < 3; round++) { // buffers grow once, then are reused
            List<JpegFaces> out = cuda.detectJpeg(mixed, DECODER);
            assertThat(out).hasSize(mixed.size());
            assertThat(JpegFaces.failures(out)).as("undecodable in %s", out).isEqualTo(badAt.size());
            int g = 0;
            for (int i = 0; i < mixed.size(); i++) {
                JpegFaces f = out.get(i);
                if (badAt.contains(i)) {
                    assertThat(f.decoded()).as("picture %d", i).isFalse();
                    assertThat(f.faces()).isEmpty();
                    assertThat(f.error()).isNotBlank();
                    continue;
                }
                JpegPictureSet.Picture p = pictures.get(g);
                List<FaceBox> want = ref.get(g++);
                assertThat(f.error()).as(p.name()).isNull();
                assertThat(f.width()).isEqualTo(p.rgb().width());
                assertThat(f.faces()).as("faces in %s", p.name()).hasSameSizeAs(want).hasSize(p.hasFace() ? 1 : 0);
                for (int k = 0; k < want.size(); k++) {
                    FaceBox a = want.get(k);
                    FaceBox b = f.faces().get(k);
                    float[] d = {a.x() - b.x(), a.y() - b.y(), a.width() - b.width(), a.height() - b.height()};
                    for (float v : d) {
                        worstBox = Math.max(worstBox, Math.abs(v));
                    }
                    for (int q = 0; q < a.keypoints().length; q++) {
                        worstBox = Math.max(worstBox, Math.abs(a.keypoints()[q] - b.keypoints()[q]));
                    }
                    worstScore = Math.max(worstScore, Math.abs(a.score() - b.score()));
                    faces++;
                }
            }
            if (round == 1) {
                allocations = cuda.context().pool().allocations();
            } else if (round == 2) {
                assertThat(cuda.context().pool().allocations()).as("device allocations in a steady-state batch").isEqualTo(allocations);
            }
        }
        List<String> errors = new ArrayList<>();
        for (JpegFaces f : cuda.detectJpeg(mixed, DECODER)) {
            if (!f.decoded()) {
                errors.add(f.error());
            }
        }
        System.out.printf("BlazeFace JPEG device path vs twin on %s: %d faces, max |box/keypoint diff| %.3f px, max |score diff| %.2e;"
                + " bad pictures: %s; nvJPEG batch retries %d%n", GpuRuntime.device(), faces, worstBox, worstScore, errors,
                cuda.jpegDecoder().batchRetries());
        assertThat(worstBox).as("box/keypoint difference, picture pixels").isLessThanOrEqualTo(2.0);
        assertThat(worstScore).isLessThanOrEqualTo(0.02);
    }

    @Test
    void progressiveAndGreyscalePicturesGiveTheTwinsFaces() throws Exception {
        List<JpegPictureSet.Picture> kinds = JpegPictureSet.otherKinds();
        List<byte[]> jpegs = new ArrayList<>();
        List<RgbPicture> rgb = new ArrayList<>();
        for (JpegPictureSet.Picture p : kinds) {
            jpegs.add(p.jpeg());
            rgb.add(p.rgb());
        }
        List<List<FaceBox>> ref = new BlazeFaceTwin(weights).detectRgb(rgb, DECODER);
        List<JpegFaces> out = cuda.detectJpeg(jpegs, DECODER);
        double worst = 0;
        for (int i = 0; i < kinds.size(); i++) {
            assertThat(out.get(i).error()).as(kinds.get(i).name()).isNull();
            assertThat(out.get(i).faces()).as(kinds.get(i).name()).hasSameSizeAs(ref.get(i)).hasSize(1);
            FaceBox a = ref.get(i).get(0);
            FaceBox b = out.get(i).faces().get(0);
            for (float d : new float[] {a.x() - b.x(), a.y() - b.y(), a.width() - b.width(), a.height() - b.height()}) {
                worst = Math.max(worst, Math.abs(d));
            }
            assertThat((double) Math.abs(a.score() - b.score())).isLessThanOrEqualTo(0.02);
        }
        System.out.printf("baseline / progressive / greyscale JPEGs on %s (%s back end): max |box diff| %.3f px;"
                + " batches sent to the default back end: %d%n", GpuRuntime.device(), cuda.jpegDecoder().backend(), worst,
                cuda.jpegDecoder().otherBackendBatches());
        assertThat(worst).isLessThanOrEqualTo(2.0);
    }

    @Test
    void aPictureCutShortDoesNotChangeTheOthersFaces() {
        List<byte[]> good = jpegs();
        List<JpegFaces> clean = cuda.detectJpeg(good, DECODER);
        assertThat(JpegFaces.failures(clean)).as("undecodable in %s", clean).isZero();
        byte[] cut = Arrays.copyOf(good.get(3), good.get(3).length / 2); // header intact, entropy data cut
        List<byte[]> mixed = new ArrayList<>(good);
        mixed.add(2, cut);
        List<JpegFaces> out = cuda.detectJpeg(mixed, DECODER);
        JpegFaces c = out.remove(2);
        System.out.printf("a VGA JPEG cut at half: %s%n", c.decoded() ? "decoded by nvJPEG, " + c.faces().size() + " face(s)" : c.error());
        for (int i = 0; i < good.size(); i++) {
            List<FaceBox> a = clean.get(i).faces();
            List<FaceBox> b = out.get(i).faces();
            assertThat(b).as("picture %d", i).hasSameSizeAs(a);
            for (int k = 0; k < a.size(); k++) {
                assertThat((double) Math.abs(a.get(k).x() - b.get(k).x())).isLessThanOrEqualTo(1e-3);
                assertThat((double) Math.abs(a.get(k).score() - b.get(k).score())).isLessThanOrEqualTo(1e-4);
            }
        }
    }
}

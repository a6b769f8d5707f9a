package io.omnistream.gpu.encoders.face;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.omnistream.gpu.encoders.EncoderModels;
import io.omnistream.gpu.image.BadJpegException;
import io.omnistream.gpu.image.I420Frames;
import io.omnistream.gpu.image.I420LetterboxTwin;
import io.omnistream.gpu.image.JdkJpegDecoder;
import io.omnistream.gpu.image.RgbLetterboxTwin;
import io.omnistream.gpu.image.RgbPicture;
import io.omnistream.gpu.testutils.CameraFrames;
import io.omnistream.gpu.testutils.JpegPictureSet;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * BlazeFace fed from JPEG camera pictures, on the CPU (the specification of the nvJPEG device path): the twin's
 * {@link BlazeFaceEncoder#detectJpeg} on real JPEGs (the astronaut photo, scaled and cropped copies, camera-sized
 * scenes, one without a face, written by the JDK's encoder) gives the faces of decoding the same JPEGs and running the
 * existing I420 path; bad pictures are reported alone; the RGB letterbox keeps the I420 letterbox's geometry.
 */
class BlazeFaceJpegTest {
    private static BlazeFaceWeights weights;
    private static List<JpegPictureSet.Picture> pictures;
    private static final BlazeFaceDecoder DECODER = new BlazeFaceDecoder(0.6f, 0.3f);

    @BeforeAll
    static void load() throws Exception {
        weights = BlazeFaceWeights.load(EncoderModels.require(EncoderModels.BLAZEFACE_FRONT));
        pictures = JpegPictureSet.pictures();
    }

    private static List<byte[]> jpegs(List<JpegPictureSet.Picture> p) {
        List<byte[]> out = new ArrayList<>();
        for (JpegPictureSet.Picture x : p) {
            out.add(x.jpeg());
        }
        return out;
    }

    @Test
    void twinDetectJpegGivesTheFacesOfDecodingAndTheI420Path() throws Exception {
        BlazeFaceTwin twin = new BlazeFaceTwin(weights);
        List<JpegFaces> fromJpeg = twin.detectJpeg(jpegs(pictures), DECODER);
        I420Frames frames = new I420Frames();
        for (JpegPictureSet.Picture p : pictures) {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(p.jpeg()));
            frames.add(CameraFrames.toI420(img), img.getWidth(), img.getHeight());
        }
        List<List<FaceBox>> fromI420 = twin.detectI420(frames, DECODER);
        double worstBox = 0;
        double worstScore = 0;
        for (int i = 0; i < pictures.size(); i++) {
            JpegPictureSet.Picture p = pictures.get(i);
            JpegFaces j = fromJpeg.get(i);
            assertThat(j.decoded()).as(p.name()).isTrue();
            assertThat(j.width()).isEqualTo(frames.width(i));
            assertThat(j.height()).isEqualTo(frames.height(i));
            assertThat(j.faces()).as("faces in %s", p.name()).hasSameSizeAs(fromI420.get(i)).hasSize(p.hasFace() ? 1 : 0);
            for (int k = 0; k < j.faces().size(); k++) {
                FaceBox a = fromI420.get(i).get(k);
                FaceBox b = j.faces().get(k);
                for (float d : new float[] {a.x() - b.x(), a.y() - b.y(), a.width() - b.width(), a.height() - b.height()}) {
                    worstBox = Math.max(worstBox, Math.abs(d));
                }
                worstScore = Math.max(worstScore, Math.abs(a.score() - b.score()));
            }
        }
        // The I420 path sees the picture through limited-range BT.601 with chroma averaged over 2×2 cells.
        assertThat(worstBox).as("box difference in picture pixels").isLessThanOrEqualTo(1.5);
        assertThat(worstScore).isLessThanOrEqualTo(0.02);
        FaceBox face = fromJpeg.get(0).faces().get(0); // the mouth of the 512-pixel photo at (219, 147)
        assertThat((double) face.keypoints()[6]).isCloseTo(219, org.assertj.core.data.Offset.offset(8.0));
        assertThat((double) face.keypoints()[7]).isCloseTo(147, org.assertj.core.data.Offset.offset(8.0));
        System.out.printf("BlazeFace JPEG twin path vs JPEG decoded + I420 path: %d pictures, max |box diff| %.3f px, max |score diff| %.4f%n",
                pictures.size(), worstBox, worstScore);
    }

    @Test
    void badPicturesInTheMiddleOfABatchAreReportedAloneAndTheOthersAreUnaffected() {
        BlazeFaceTwin twin = new BlazeFaceTwin(weights);
        List<byte[]> good = jpegs(pictures.subList(0, 4));
        byte[] garbage = new byte[5000];
        new java.util.SplittableRandom(7).nextBytes(garbage);
        garbage[0] = (byte) 0xFF; // a start-of-image marker, then noise
        garbage[1] = (byte) 0xD8;
        byte[] headerOnly = Arrays.copyOf(good.get(1), 40); // a start-of-image marker, then the file cut short
        List<byte[]> mixed = new ArrayList<>(List.of(good.get(0), good.get(1), garbage, good.get(2), headerOnly, new byte[0], good.get(3)));
        List<JpegFaces> clean = twin.detectJpeg(good, DECODER);
        List<JpegFaces> out = twin.detectJpeg(mixed, DECODER);
        assertThat(out).hasSize(7);
        assertThat(JpegFaces.failures(out)).isEqualTo(3);
        for (int bad : new int[] {2, 4, 5}) {
            assertThat(out.get(bad).decoded()).isFalse();
            assertThat(out.get(bad).error()).isNotBlank();
            assertThat(out.get(bad).faces()).isEmpty();
        }
        assertThat(out.get(2).error()).contains("not decodable");
        assertThat(List.of(out.get(0), out.get(1), out.get(3), out.get(6))).usingRecursiveComparison().isEqualTo(clean); // bit-equal
        assertThat(twin.detectJpeg(List.of(), DECODER)).isEmpty();
    }

    @Test
    void progressiveAndGreyscaleJpegsAreDecodedByTheSpecification() throws Exception {
        List<JpegPictureSet.Picture> kinds = JpegPictureSet.otherKinds();
        List<JpegFaces> out = new BlazeFaceTwin(weights).detectJpeg(jpegs(kinds), DECODER);
        for (int i = 0; i < kinds.size(); i++) {
            assertThat(out.get(i).error()).as(kinds.get(i).name()).isNull();
            assertThat(out.get(i).faces()).as(kinds.get(i).name()).hasSize(1);
        }
        byte[] grey = kinds.get(2).rgb().rgb(); // one channel: the luma in R, G and B
        assertThat(grey[3000]).isEqualTo(grey[3001]).isEqualTo(grey[3002]);
        FaceBox base = out.get(0).faces().get(0);
        FaceBox progressive = out.get(1).faces().get(0);
        assertThat((double) Math.abs(base.x() - progressive.x())).isLessThanOrEqualTo(1.0);
    }

    @Test
    void picturesLargerThanACameraSendsAreRefusedWithTheirSize() throws Exception {
        byte[] wide = JpegPictureSet.Built.jpeg(new BufferedImage(RgbPicture.MAX_SIDE + 8, 8, BufferedImage.TYPE_INT_RGB), 0.5f);
        assertThatThrownBy(() -> JdkJpegDecoder.decode(wide)).isInstanceOf(BadJpegException.class)
                .hasMessageContaining((RgbPicture.MAX_SIDE + 8) + "x8");
        List<JpegFaces> out = new BlazeFaceTwin(weights).detectJpeg(List.of(wide), DECODER);
        assertThat(out.get(0).error()).contains("limit " + RgbPicture.MAX_SIDE);
    }

    @Test
    void rgbLetterboxKeepsTheI420GeometryWithExactBarsAndUniformColour() {
        int w = 640;
        int h = 480;
        byte[] rgb = new byte[w * h * 3];
        for (int i = 0; i < rgb.length; i += 3) {
            rgb[i] = 10;
            rgb[i + 1] = (byte) 128;
            rgb[i + 2] = (byte) 250;
        }
        RgbPicture p = new RgbPicture(w, h, rgb);
        float[] out = new float[BlazeFaceEncoder.IMAGE];
        RgbLetterboxTwin.letterbox(p, out, 0);
        assertThat(p.letterbox().padY()).isEqualTo(16); // VGA → 128×96 at row 16, as BlazeFaceDetector
        for (int y = 0; y < 128; y++) {
            for (int x = 0; x < 128; x++) {
                int o = (y * 128 + x) * 3;
                boolean inside = y >= 16 && y < 112;
                float[] want = inside ? new float[] {10 * I420LetterboxTwin.NORM - 1f, 128 * I420LetterboxTwin.NORM - 1f,
                        250 * I420LetterboxTwin.NORM - 1f} : new float[] {-1f, -1f, -1f};
                for (int c = 0; c < 3; c++) {
                    if (inside) {
                        assertThat((double) out[o + c]).as("(%d,%d,%d)", x, y, c).isCloseTo(want[c], org.assertj.core.data.Offset.offset(1e-5));
                    } else {
                        assertThat(out[o + c]).as("bar (%d,%d)", x, y).isEqualTo(-1f);
                    }
                }
            }
        }
    }
}

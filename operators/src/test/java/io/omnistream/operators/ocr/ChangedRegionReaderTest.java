package io.omnistream.operators.ocr;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.operators.understand.testutils.ChromiumScreenshots;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Reads of changed regions with real Tesseract, against whole reads of the same pictures. */
class ChangedRegionReaderTest {
    private static final long PAGE = 1280L * 720;
    private static ScreenReader tesseract;

    @BeforeAll
    static void open() {
        tesseract = new ScreenReader(new UnderstandingConfig());
    }

    @AfterAll
    static void close() {
        tesseract.close();
    }

    private static ChangedRegionReader reader() {
        return new ChangedRegionReader(tesseract, 8, 0.5);
    }

    /** A dialog drawn with Java2D: lines of text in the middle, a clock in the bottom-right corner. */
    private static byte[] picture(String clock, String... lines) throws Exception {
        return onBackground(Color.WHITE, clock, lines);
    }

    private static byte[] onBackground(Color background, String clock, String... lines) throws Exception {
        BufferedImage img = new BufferedImage(1280, 720, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(background);
        g.fillRect(0, 0, 1280, 720);
        g.setColor(Color.BLACK);
        g.setFont(new Font("DejaVu Sans", Font.PLAIN, 22));
        for (int i = 0; i < lines.length; i++) {
            g.drawString(lines[i], 200, 200 + 40 * i);
        }
        if (clock != null) {
            g.setColor(new Color(235, 235, 235));
            g.fillRect(1180, 692, 100, 28);
            g.setColor(Color.DARK_GRAY);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            g.drawString(clock, 1220, 711);
        }
        g.dispose();
        return ChromiumScreenshots.toJpeg(img, 0.9f);
    }

    private static final String[] DIALOG = {"Payment declined", "Error E-4021", "Order number: ORD-7731945",
        "Please contact support with the reference below", "Reference: 0x80070005"};

    private static List<String> ids(ScreenReader.Result r) {
        return IdentifierExtractor.extract(r.text()).stream().map(i -> i.getType() + ":" + i.getValue()).toList();
    }

    @Test
    void aTickingClockIsReadAloneAndTheTextEqualsAWholeRead() throws Exception {
        ChangedRegionReader regions = reader();
        ChangedRegionReader.Read first = regions.read("s", picture("10:41", DIALOG), true);
        assertThat(first.wholePage()).isTrue();
        assertThat(first.result().pixelsRead).isEqualTo(PAGE);

        byte[] next = picture("10:42", DIALOG);
        ChangedRegionReader.Read second = regions.read("s", next, true);
        ScreenReader.Result whole = tesseract.read(next);
        assertThat(second.wholePage()).isFalse();
        assertThat(second.result().pixelsRead).as("the corner only").isPositive().isLessThan(PAGE / 50);
        assertThat(second.result().lines).isEqualTo(whole.lines);
        assertThat(ids(second.result())).isEqualTo(ids(whole)).isNotEmpty();
    }

    @Test
    void aChangedLineIsReadAgainWholeInItsPlace() throws Exception {
        ChangedRegionReader regions = reader();
        regions.read("s", picture("10:41", DIALOG), true);
        String[] changed = DIALOG.clone();
        changed[1] = "Error E-5933";
        byte[] next = picture("10:41", changed);
        ChangedRegionReader.Read read = regions.read("s", next, true);
        ScreenReader.Result whole = tesseract.read(next);
        assertThat(read.wholePage()).isFalse();
        assertThat(read.result().pixelsRead).isLessThan(PAGE / 10);
        assertThat(read.result().lines).isEqualTo(whole.lines).anySatisfy(l -> assertThat(l).contains("E-5933"));
        assertThat(ids(read.result())).isEqualTo(ids(whole)).contains("ERROR_CODE:E-5933").doesNotContain("ERROR_CODE:E-4021");
    }

    @Test
    void anUnchangedPictureIsNotReadAndANewPageIsReadWhole() throws Exception {
        ChangedRegionReader regions = reader();
        ChangedRegionReader.Read first = regions.read("s", picture("10:41", DIALOG), true);
        ChangedRegionReader.Read same = regions.read("s", picture("10:41", DIALOG), true);
        assertThat(same.result().pixelsRead).isZero();
        assertThat(same.result().lines).isEqualTo(first.result().lines);

        // other text on the same background: only the text block is read again, with the text of a whole read
        String[] text = {"Sign in failed", "Error code: 0x80070057", "Your password has expired", "Ticket: INC-0048213",
            "Try again in five minutes", "or reset your password"};
        byte[] other = picture("10:41", text);
        ChangedRegionReader.Read dialog = regions.read("s", other, true);
        assertThat(dialog.wholePage()).isFalse();
        assertThat(dialog.result().lines).isEqualTo(tesseract.read(other).lines);

        // a new page (another background): more than half the screen changed, read whole
        byte[] page = onBackground(new Color(225, 232, 245), "10:41", text);
        ChangedRegionReader.Read whole = regions.read("s", page, true);
        assertThat(whole.wholePage()).isTrue();
        assertThat(whole.result().pixelsRead).isEqualTo(PAGE);
        assertThat(whole.result().lines).isEqualTo(tesseract.read(page).lines);
    }

    @Test
    void withoutRoutingEveryReadIsWholeAndSessionsAreKeptApart() throws Exception {
        ChangedRegionReader regions = reader();
        regions.read("a", picture("10:41", DIALOG), true);
        assertThat(regions.read("b", picture("10:42", DIALOG), true).wholePage()).as("another session").isTrue();
        ChangedRegionReader.Read always = regions.read("a", picture("10:42", DIALOG), false);
        assertThat(always.wholePage()).isTrue();
        assertThat(always.result().pixelsRead).isEqualTo(PAGE);
        assertThat(regions.read("a", picture("10:43", DIALOG), true).wholePage())
                .as("a whole read without routing leaves nothing to compare with").isTrue();
    }

    @Test
    void textAppearingWhereThereWasNoneGoesInByItsHeight() throws Exception {
        ChangedRegionReader regions = reader();
        regions.read("s", picture(null, DIALOG[0], DIALOG[1]), true);
        byte[] next = picture(null, DIALOG[0], DIALOG[1], DIALOG[2]);
        ChangedRegionReader.Read read = regions.read("s", next, true);
        assertThat(read.wholePage()).isFalse();
        assertThat(read.result().lines).isEqualTo(tesseract.read(next).lines);
    }
}

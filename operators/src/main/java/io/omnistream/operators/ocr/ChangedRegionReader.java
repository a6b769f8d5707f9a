package io.omnistream.operators.ocr;

import io.omnistream.operators.ocr.ScreenReader.Box;
import io.omnistream.operators.ocr.ScreenReader.Line;
import io.omnistream.operators.ocr.ScreenReader.Page;
import io.omnistream.operators.ocr.ScreenReader.Result;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a session's screen pictures, recognising only what changed since the session's last read when allowed
 * (modality routing on): the rest of the text is carried over from that read. A clock ticking in a corner or a field
 * being filled in then costs a read of that corner or field, not of the whole screen.
 *
 * <p>Each read keeps a signature of the page it read: per 8×8 block of the grey, scaled page, the mean level and
 * the mean gradient (a character replaced by another of the same ink still moves the gradient). The next picture's
 * changed blocks are grouped into bands of rows, each band's changed columns make a box; boxes grow by a margin, then
 * to cover every line of the last read they touch (a line is re-read whole or not at all), and merge where they
 * meet. The lines of the last read inside the boxes are replaced, in place, by the lines read in the boxes; lines
 * read in a box where there were none go in by their height on the page, if the recogniser is sure of them
 * ({@link #NEW_LINE_MIN_CONFIDENCE}). When the boxes cover more than
 * {@code maxRegionFraction} of the page, when there is no last read of the same size, or when changed regions are
 * not allowed, the whole page is read. A picture with no changed block is not read at all (the last text stands).
 *
 * <p>The last reads are kept per session in memory only (bounded, least recently read first out): after a restart
 * or for a session beyond the bound the next read is a whole one. Not thread-safe (one per OCR thread).
 */
public final class ChangedRegionReader {
    /** Block size of the change signature, page pixels. */
    static final int BLOCK = 8;
    /** A block changed when its mean level or mean gradient moved by more than this (grey levels). */
    static final int LEVEL_DELTA = 4;
    /** Margin around changed blocks, page pixels. */
    static final int MARGIN = 2 * BLOCK;
    /**
     * A line read in a region where the last read had none is kept only at this confidence or above: the whole
     * page's layout analysis drops faint, isolated marks (a small clock in a grey corner box was absent from the whole
     * read of one Chromium dialog, and a region read of it gave "742" at 0.20), so unsure new text is what a whole
     * read would not have.
     */
    static final float NEW_LINE_MIN_CONFIDENCE = 0.5f;

    /** One read, with how it was done. */
    public record Read(Result result, boolean wholePage) {}

    private record Memory(int width, int height, short[] signature, Result result) {}

    private final ScreenReader reader;
    private final double maxRegionFraction;
    private final Map<String, Memory> last;

    public ChangedRegionReader(ScreenReader reader, int maxSessions, double maxRegionFraction) {
        this.reader = reader;
        this.maxRegionFraction = maxRegionFraction;
        this.last = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Memory> eldest) {
                return size() > maxSessions;
            }
        };
    }

    /** Sessions whose last read is kept. */
    public int sessionsKept() {
        return last.size();
    }

    /**
     * Reads {@code encoded} for {@code sessionId}; only its changed region when {@code changedRegionOnly}. Throws
     * IllegalArgumentException when the picture cannot be decoded.
     */
    public Read read(String sessionId, byte[] encoded, boolean changedRegionOnly) {
        Page page = reader.page(ScreenReader.decode(encoded));
        if (!changedRegionOnly) {
            last.remove(sessionId);
            return new Read(reader.read(page, null), true);
        }
        short[] signature = signature(page);
        Memory before = last.get(sessionId);
        Read read;
        if (before == null || before.width != page.width() || before.height != page.height()) {
            read = new Read(reader.read(page, null), true);
        } else {
            List<Box> boxes = regions(before, signature, page);
            long area = boxes.stream().mapToLong(b -> (long) b.width() * b.height()).sum();
            if (area > maxRegionFraction * page.width() * page.height()) {
                read = new Read(reader.read(page, null), true);
            } else {
                read = new Read(merge(before.result, boxes, page), false);
            }
        }
        last.put(sessionId, new Memory(page.width(), page.height(), signature, read.result()));
        return read;
    }

    /** The boxes to read again: changed blocks by bands of rows, grown, covering whole lines of the last read. */
    List<Box> regions(Memory before, short[] signature, Page page) {
        int cols = cols(page.width()), rows = rows(page.height());
        List<Box> boxes = new ArrayList<>();
        int bandTop = -1, bandBottom = -1, minCol = 0, maxCol = 0;
        for (int r = 0; r < rows; r++) {
            int first = -1, lastCol = -1;
            for (int c = 0; c < cols; c++) {
                int i = 2 * (r * cols + c);
                if (Math.abs(signature[i] - before.signature[i]) > LEVEL_DELTA
                        || Math.abs(signature[i + 1] - before.signature[i + 1]) > LEVEL_DELTA) {
                    if (first < 0) {
                        first = c;
                    }
                    lastCol = c;
                }
            }
            if (first < 0) {
                continue;
            }
            if (bandTop >= 0 && r - bandBottom > 2) { // rows close together form one band; this one starts another
                boxes.add(band(minCol, bandTop, maxCol, bandBottom, page));
                bandTop = -1;
            }
            if (bandTop < 0) {
                bandTop = r;
                minCol = first;
                maxCol = lastCol;
            } else {
                minCol = Math.min(minCol, first);
                maxCol = Math.max(maxCol, lastCol);
            }
            bandBottom = r;
        }
        if (bandTop >= 0) {
            boxes.add(band(minCol, bandTop, maxCol, bandBottom, page));
        }
        List<Box> grown = new ArrayList<>();
        for (Box b : boxes) {
            grown.add(b.grow(MARGIN, page.width(), page.height()));
        }
        // cover every line of the last read that a box touches, and merge boxes that meet, until nothing moves
        boolean moved = true;
        while (moved) {
            moved = false;
            for (int i = 0; i < grown.size(); i++) {
                Box b = grown.get(i);
                for (Line line : before.result.boxes) {
                    if (line.box().intersects(b)) {
                        Box u = b.union(line.box().grow(2, page.width(), page.height()));
                        if (!u.equals(b)) {
                            b = u;
                            moved = true;
                        }
                    }
                }
                for (int j = grown.size() - 1; j > i; j--) {
                    if (grown.get(j).intersects(b)) {
                        b = b.union(grown.remove(j));
                        moved = true;
                    }
                }
                grown.set(i, b);
            }
        }
        return grown;
    }

    /** The page box of the blocks from column {@code minCol}, row {@code top} to column {@code maxCol}, row {@code bottom}. */
    private static Box band(int minCol, int top, int maxCol, int bottom, Page page) {
        return new Box(minCol * BLOCK, top * BLOCK, Math.min(page.width(), (maxCol + 1) * BLOCK),
                Math.min(page.height(), (bottom + 1) * BLOCK));
    }

    /** The last read's lines with those inside {@code boxes} replaced by what the boxes read now. */
    private Result merge(Result before, List<Box> boxes, Page page) {
        List<Line> lines = new ArrayList<>(before.boxes);
        long pixels = 0;
        for (Box box : boxes) {
            Result part = reader.read(page, box);
            pixels += part.pixelsRead;
            int at = -1;
            List<Box> replaced = new ArrayList<>();
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).box().intersects(box)) {
                    replaced.add(lines.remove(i).box());
                    at = i;
                }
            }
            List<Line> read = new ArrayList<>();
            for (Line line : part.boxes) {
                if (line.confidence() >= NEW_LINE_MIN_CONFIDENCE || replaced.stream().anyMatch(line.box()::intersects)) {
                    read.add(line);
                }
            }
            if (at < 0) { // new text where there was none: by its height on the page
                at = lines.size();
                for (int i = 0; i < lines.size(); i++) {
                    if (lines.get(i).box().top() > box.top()) {
                        at = i;
                        break;
                    }
                }
            }
            lines.addAll(at, read);
        }
        double conf = lines.stream().mapToDouble(Line::confidence).average().orElse(0);
        return new Result(lines, (float) conf, pixels);
    }

    private static int cols(int width) {
        return (width + BLOCK - 1) / BLOCK;
    }

    private static int rows(int height) {
        return (height + BLOCK - 1) / BLOCK;
    }

    /** Per 8×8 block: mean grey level and mean absolute gradient (right and down neighbours), interleaved. */
    static short[] signature(Page page) {
        int w = page.width(), h = page.height(), cols = cols(w), rows = rows(h);
        byte[] g = page.grey();
        long[] sum = new long[cols * rows], grad = new long[cols * rows];
        int[] count = new int[cols * rows];
        for (int y = 0; y < h; y++) {
            int row = (y / BLOCK) * cols, o = y * w;
            for (int x = 0; x < w; x++) {
                int p = g[o + x] & 0xff;
                int k = row + x / BLOCK;
                sum[k] += p;
                int d = 0;
                if (x + 1 < w) {
                    d += Math.abs(p - (g[o + x + 1] & 0xff));
                }
                if (y + 1 < h) {
                    d += Math.abs(p - (g[o + w + x] & 0xff));
                }
                grad[k] += d;
                count[k]++;
            }
        }
        short[] s = new short[2 * cols * rows];
        for (int k = 0; k < count.length; k++) {
            s[2 * k] = (short) (sum[k] / count[k]);
            s[2 * k + 1] = (short) (grad[k] / count[k]);
        }
        return s;
    }
}

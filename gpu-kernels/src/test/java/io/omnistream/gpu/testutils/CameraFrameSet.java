package io.omnistream.gpu.testutils;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The camera frames of the BlazeFace I420 tests and benchmark as plain I420 bytes, without AWT: built from the
 * astronaut photo by {@link CameraFrames} where {@code java.desktop} exists, or read from a folder written by
 * {@link #main} (property {@value #DIR_PROPERTY}) on the GPU machine, whose bundled Java runtime has no AWT.
 *
 * <p>Export (build machine): {@code java -cp <test classpath> io.omnistream.gpu.testutils.CameraFrameSet DIR}.
 */
public final class CameraFrameSet {
    public static final String DIR_PROPERTY = "omni.camera.frames";

    /** One session's frame. */
    public record I420Frame(String name, int width, int height, byte[] i420) {}

    private CameraFrameSet() {}

    /** The frames of different sessions (see {@link CameraFrames#sessions}). */
    public static List<I420Frame> sessions() throws IOException {
        String dir = System.getProperty(DIR_PROPERTY);
        if (dir != null && !dir.isBlank()) {
            return read(Path.of(dir));
        }
        return CameraFrames.sessionFrames();
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        List<I420Frame> frames = CameraFrames.sessionFrames();
        StringBuilder index = new StringBuilder();
        for (int i = 0; i < frames.size(); i++) {
            I420Frame f = frames.get(i);
            String file = "frame" + i + ".i420";
            Files.write(dir.resolve(file), f.i420());
            index.append(f.name()).append('|').append(f.width()).append('|').append(f.height()).append('|').append(file).append('\n');
        }
        Files.writeString(dir.resolve("frames.txt"), index);
    }

    static List<I420Frame> read(Path dir) throws IOException {
        List<I420Frame> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("frames.txt"))) {
            if (line.isBlank()) {
                continue;
            }
            String[] p = line.split("\\|");
            out.add(new I420Frame(p[0], Integer.parseInt(p[1]), Integer.parseInt(p[2]), Files.readAllBytes(dir.resolve(p[3]))));
        }
        return out;
    }

    /**
     * Another frame of the same size: {@code f} mirrored (optionally) and moved right by {@code shift} pixels (even,
     * so chroma stays aligned; the left edge column repeated). Used to make many distinct frames from a few.
     */
    public static I420Frame variant(I420Frame f, int shift, boolean mirror) {
        if (shift % 2 != 0 || shift < 0) {
            throw new IllegalArgumentException("shift must be even and >= 0");
        }
        int w = f.width();
        int h = f.height();
        int cw = (w + 1) / 2;
        int ch = (h + 1) / 2;
        byte[] out = new byte[f.i420().length];
        plane(f.i420(), 0, w, h, shift, mirror, out);
        plane(f.i420(), w * h, cw, ch, shift / 2, mirror, out);
        plane(f.i420(), w * h + cw * ch, cw, ch, shift / 2, mirror, out);
        return new I420Frame(f.name() + (mirror ? " mirrored" : "") + " +" + shift, w, h, out);
    }

    private static void plane(byte[] src, int off, int w, int h, int shift, boolean mirror, byte[] dst) {
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int sx = Math.max(0, x - shift);
                if (mirror) {
                    sx = w - 1 - sx;
                }
                dst[off + y * w + x] = src[off + y * w + sx];
            }
        }
    }
}

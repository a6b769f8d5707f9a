package io.omnistream.gpu.attention;

/** IEEE binary16 conversions (round to nearest even), as CUDA's {@code __float2half}; Java 17 has none. */
public final class Half {
    private Half() {}

    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            mant |= 0x800000;
            int shift = 14 - e;
            int h = mant >> shift;
            int rem = mant & ((1 << shift) - 1);
            int half = 1 << (shift - 1);
            if (rem > half || (rem == half && (h & 1) != 0)) {
                h++;
            }
            return (short) (sign | h);
        }
        int h = (e << 10) | (mant >> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0)) {
            h++;
        }
        return (short) (sign | h);
    }

    public static float toFloat(short hs) {
        int h = hs & 0xffff;
        boolean neg = (h & 0x8000) != 0;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        float f;
        if (exp == 0) {
            f = mant * 0x1p-24f;
        } else if (exp == 0x1f) {
            f = mant == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else {
            f = Float.intBitsToFloat(((exp - 15 + 127) << 23) | (mant << 13));
        }
        return neg ? -f : f;
    }

    /** {@code f} rounded to the nearest binary16 value. */
    public static float round(float f) {
        return toFloat(fromFloat(f));
    }
}

// Omnistream CUDA kernels. Each kernel's specification is its Java twin in gpu-kernels/src/main/java
// (io.omnistream.gpu.*.*Twin); the GPU tests compare the two. Built by nvcc during the Maven build into a
// fat binary (sm_90 SASS + compute_90 PTX) and plain PTX, loaded through JavaCPP's CUDA driver API.
// Do not build with --use_fast_math: the int8 quantiser must round exactly like the twin.

#include <cuda_fp16.h>
#include <mma.h>
#include <stdint.h>

using namespace nvcuda;

#define LM_NFFT 400
#define LM_NFREQ 201
#define LM_NMELS 128

extern "C" {

// ---------------------------------------------------------------------------------------------------------------
// a. log-mel (io.omnistream.gpu.logmel.LogMelTwin). One block (256 threads) per 8 frames of 400 samples.
// basis: [400][201] float2 = (w[n] cos(2 pi k n / 400), -w[n] sin(2 pi k n / 400)), the periodic Hann window folded
// in; filters: [128][201]; ranges: [128] int2, the non-zero span [start, end) of each filter.
// ---------------------------------------------------------------------------------------------------------------
#define LM_FPB 8
__global__ void __launch_bounds__(256) omni_logmel(const float* __restrict__ frames, int nFrames,
                                                   const float2* __restrict__ basis,
                                                   const float* __restrict__ filters, const int2* __restrict__ ranges,
                                                   float* __restrict__ logmel, float* __restrict__ energy) {
    __shared__ float xs[LM_FPB][LM_NFFT];
    __shared__ float pw[LM_FPB][LM_NFREQ + 3];
    const int f0 = blockIdx.x * LM_FPB;
    const int nf = min(LM_FPB, nFrames - f0);
    if (nf <= 0) return;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    // warp w loads frame f0 + w and computes its energy
    if (warp < nf) {
        const float* x = frames + (size_t)(f0 + warp) * LM_NFFT;
        float e = 0.f;
        for (int i = lane; i < LM_NFFT; i += 32) {
            float v = x[i];
            xs[warp][i] = v;
            e = fmaf(v, v, e);
        }
        for (int o = 16; o > 0; o >>= 1) e += __shfl_xor_sync(0xffffffffu, e, o);
        if (lane == 0) energy[f0 + warp] = e / (float)LM_NFFT;
    } else if (warp < LM_FPB) {
        for (int i = lane; i < LM_NFFT; i += 32) xs[warp][i] = 0.f;
    }
    __syncthreads();
    const int k = threadIdx.x;
    if (k < LM_NFREQ) {
        float re[LM_FPB], im[LM_FPB];
#pragma unroll
        for (int f = 0; f < LM_FPB; f++) re[f] = im[f] = 0.f;
#pragma unroll 4
        for (int n = 0; n < LM_NFFT; n++) {
            const float2 w = __ldg(basis + n * LM_NFREQ + k);
#pragma unroll
            for (int f = 0; f < LM_FPB; f++) {
                const float v = xs[f][n];
                re[f] = fmaf(v, w.x, re[f]);
                im[f] = fmaf(v, w.y, im[f]);
            }
        }
#pragma unroll
        for (int f = 0; f < LM_FPB; f++) pw[f][k] = re[f] * re[f] + im[f] * im[f];
    }
    __syncthreads();
    const int m = threadIdx.x & (LM_NMELS - 1);
    const int2 r = __ldg(ranges + m);
    for (int f = threadIdx.x >> 7; f < nf; f += 2) {
        float acc = 0.f;
        for (int kk = r.x; kk < r.y; kk++) acc = fmaf(__ldg(filters + m * LM_NFREQ + kk), pw[f][kk], acc);
        logmel[(size_t)(f0 + f) * LM_NMELS + m] = log10f(fmaxf(acc, 1e-10f));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// b. I420 crop + bilinear resize + normalise (io.omnistream.gpu.image.FrameResizerTwin).
// meta: per item {byteOffset, width, height}; boxes: per item {x, y, w, h} in luma pixels.
// mode 0: RGB (BT.601 limited range) NHWC, mode 1: luma only. out = value/255 * scale + bias.
// ---------------------------------------------------------------------------------------------------------------
__device__ __forceinline__ float bilinear_u8(const uint8_t* p, int w, int h, float sx, float sy) {
    sx = fminf(fmaxf(sx, 0.f), (float)(w - 1));
    sy = fminf(fmaxf(sy, 0.f), (float)(h - 1));
    int x0 = (int)sx, y0 = (int)sy;
    int x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1);
    float fx = sx - (float)x0, fy = sy - (float)y0;
    float a = (float)p[y0 * w + x0], b = (float)p[y0 * w + x1];
    float c = (float)p[y1 * w + x0], d = (float)p[y1 * w + x1];
    float top = a + (b - a) * fx;
    float bot = c + (d - c) * fx;
    return top + (bot - top) * fy;
}

__global__ void omni_i420_resize(const uint8_t* __restrict__ src, const int* __restrict__ meta,
                                 const float* __restrict__ boxes, int nItems, int outW, int outH, int mode,
                                 float scale, float bias, float* __restrict__ out) {
    const int item = blockIdx.y;
    const int pix = blockIdx.x * blockDim.x + threadIdx.x;
    if (item >= nItems || pix >= outW * outH) return;
    const int ox = pix % outW, oy = pix / outW;
    const uint8_t* base = src + meta[item * 3];
    const int w = meta[item * 3 + 1], h = meta[item * 3 + 2];
    const float bx = boxes[item * 4], by = boxes[item * 4 + 1], bw = boxes[item * 4 + 2], bh = boxes[item * 4 + 3];
    const float sx = bx + ((float)ox + 0.5f) * (bw / (float)outW) - 0.5f;
    const float sy = by + ((float)oy + 0.5f) * (bh / (float)outH) - 0.5f;
    const float yv = bilinear_u8(base, w, h, sx, sy);
    if (mode == 1) {
        out[(size_t)item * outW * outH + pix] = yv * (1.f / 255.f) * scale + bias;
        return;
    }
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    const uint8_t* up = base + w * h;
    const uint8_t* vp = up + cw * ch;
    const float cx = (sx + 0.5f) * 0.5f - 0.5f, cy = (sy + 0.5f) * 0.5f - 0.5f;
    const float u = bilinear_u8(up, cw, ch, cx, cy) - 128.f;
    const float v = bilinear_u8(vp, cw, ch, cx, cy) - 128.f;
    const float yy = 1.164f * (yv - 16.f);
    float r = yy + 1.596f * v;
    float g = yy - 0.813f * v - 0.391f * u;
    float b = yy + 2.018f * u;
    r = fminf(fmaxf(r, 0.f), 255.f);
    g = fminf(fmaxf(g, 0.f), 255.f);
    b = fminf(fmaxf(b, 0.f), 255.f);
    float* o = out + ((size_t)item * outW * outH + pix) * 3;
    o[0] = r * (1.f / 255.f) * scale + bias;
    o[1] = g * (1.f / 255.f) * scale + bias;
    o[2] = b * (1.f / 255.f) * scale + bias;
}

// ---------------------------------------------------------------------------------------------------------------
// c. per-token symmetric int8 (io.omnistream.gpu.quant.Int8QuantizerTwin). A warp per row.
// scale = max|x| / 127; q = clamp(rint(x * (127 / max|x|)), -127, 127); scale 0 gives q = 0.
// ---------------------------------------------------------------------------------------------------------------
__device__ __forceinline__ signed char q8(float x, float inv) {
    return (signed char)fminf(fmaxf(rintf(x * inv), -127.f), 127.f);
}

// Fast path: dim % 4 == 0 and dim <= 512; the row in registers, grid-stride over rows (any grid size works).
#define QROWS 1
__global__ void omni_quant_int8(const float* __restrict__ x, int rows, int dim, int8_t* __restrict__ q,
                                float* __restrict__ scales) {
    const int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    const int lane = threadIdx.x & 31;
    if ((dim & 3) == 0 && dim <= 512) {
      const int totalWarps = (gridDim.x * blockDim.x) >> 5;
      for (int r0 = warp * QROWS; r0 < rows; r0 += totalWarps * QROWS) {  // grid-stride over row groups
        const int n4 = dim >> 2;
        float4 v[QROWS][4];
        float amax[QROWS];
#pragma unroll
        for (int rr = 0; rr < QROWS; rr++) {
            amax[rr] = 0.f;
            const float4* r4 = reinterpret_cast<const float4*>(x + (size_t)(r0 + rr) * dim);
#pragma unroll
            for (int j = 0; j < 4; j++) {
                int i = lane + 32 * j;
                v[rr][j] = make_float4(0.f, 0.f, 0.f, 0.f);
                if (r0 + rr < rows && i < n4) v[rr][j] = __ldcs(r4 + i);
            }
        }
#pragma unroll
        for (int rr = 0; rr < QROWS; rr++) {
#pragma unroll
            for (int j = 0; j < 4; j++) {
                amax[rr] = fmaxf(amax[rr], fmaxf(fmaxf(fabsf(v[rr][j].x), fabsf(v[rr][j].y)),
                                                 fmaxf(fabsf(v[rr][j].z), fabsf(v[rr][j].w))));
            }
            for (int o = 16; o > 0; o >>= 1) amax[rr] = fmaxf(amax[rr], __shfl_xor_sync(0xffffffffu, amax[rr], o));
        }
#pragma unroll
        for (int rr = 0; rr < QROWS; rr++) {
            if (r0 + rr >= rows) break;
            const float s = amax[rr] / 127.f;
            const float inv = 127.f / amax[rr];
            char4* q4 = reinterpret_cast<char4*>(q + (size_t)(r0 + rr) * dim);
#pragma unroll
            for (int j = 0; j < 4; j++) {
                int i = lane + 32 * j;
                if (i < n4) {
                    char4 c = make_char4(0, 0, 0, 0);
                    if (s != 0.f) {
                        c.x = q8(v[rr][j].x, inv);
                        c.y = q8(v[rr][j].y, inv);
                        c.z = q8(v[rr][j].z, inv);
                        c.w = q8(v[rr][j].w, inv);
                    }
                    __stcs(q4 + i, c);
                }
            }
            if (lane == 0) scales[r0 + rr] = s;
        }
      }
      return;
    }
    if (warp >= rows) return;
    const float* row = x + (size_t)warp * dim;
    int8_t* qrow = q + (size_t)warp * dim;
    float amax = 0.f;
    for (int i = lane; i < dim; i += 32) amax = fmaxf(amax, fabsf(row[i]));
    for (int o = 16; o > 0; o >>= 1) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, o));
    const float s = amax / 127.f;
    const float inv = 127.f / amax;
    for (int i = lane; i < dim; i += 32) qrow[i] = s == 0.f ? (int8_t)0 : (int8_t)q8(row[i], inv);
    if (lane == 0) scales[warp] = s;
}

__global__ void omni_dequant_int8(const int8_t* __restrict__ q, const float* __restrict__ scales, int rows, int dim,
                                  float* __restrict__ out) {
    const size_t n = (size_t)rows * dim;
    const size_t stride = (size_t)gridDim.x * blockDim.x;
    if ((dim & 3) == 0) {
        const char4* q4 = reinterpret_cast<const char4*>(q);
        float4* o4 = reinterpret_cast<float4*>(out);
        for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n / 4; i += stride) {
            char4 c = __ldcs(q4 + i);
            float s = __ldg(scales + (i * 4) / dim);
            __stcs(o4 + i, make_float4(c.x * s, c.y * s, c.z * s, c.w * s));
        }
        return;
    }
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += stride) {
        out[i] = (float)q[i] * scales[i / dim];
    }
}

// ---------------------------------------------------------------------------------------------------------------
// e. router top-k over the 16 (query segment, key segment) pair scores of each sequence
// (io.omnistream.gpu.router.TopKGateTwin). NaN and -inf never selected; ties go to the lower pair index.
// ---------------------------------------------------------------------------------------------------------------
__global__ void omni_topk_gate(const float* __restrict__ scores, int nSeq, int k, int* __restrict__ gates) {
    const int s = blockIdx.x * blockDim.x + threadIdx.x;
    if (s >= nSeq) return;
    float v[16];
#pragma unroll
    for (int i = 0; i < 16; i++) v[i] = scores[s * 16 + i];
    int mask = 0;
    for (int r = 0; r < k && r < 16; r++) {
        int best = -1;
        float bv = 0.f;
#pragma unroll
        for (int i = 0; i < 16; i++) {
            bool free = ((mask >> i) & 1) == 0;
            bool ok = free && !isnan(v[i]) && v[i] != -INFINITY;
            if (ok && (best < 0 || v[i] > bv)) {
                best = i;
                bv = v[i];
            }
        }
        if (best < 0) break;
        mask |= 1 << best;
    }
    gates[s] = mask;
}

// ---------------------------------------------------------------------------------------------------------------
// d. modality-gated block-sparse attention (io.omnistream.gpu.attention.GatedAttentionTwin).
// Packed varlen batch: q, k, v, out are [totalTokens][heads][64] fp16. cuSeqlens [nSeq+1]; segEnds [nSeq][4]:
// end of segment s (audio, lips, screen, text) relative to the sequence start; gates [nSeq]: bit (qs*4+ks) lets
// queries of segment qs attend keys of segment ks. qBlocks [nQBlocks][2]: (sequence, first query row).
// One CTA (4 warps) per 64 query rows and head; key blocks of 64 whose segments no query row may see are skipped;
// scores never leave shared memory; online softmax in fp32; WMMA fp16 tensor cores with fp32 accumulation.
// A query row with no visible key outputs zeros.
// ---------------------------------------------------------------------------------------------------------------
#define AT_D 64
#define AT_BM 64
#define AT_BN 64
#define AT_LDH 72
#define AT_LDF 68

__device__ __forceinline__ int seg_of(int t, const int* e) {
    return t < e[0] ? 0 : t < e[1] ? 1 : t < e[2] ? 2 : 3;
}

__device__ __forceinline__ int seg_mask_range(int a, int b, const int* e) {  // segments intersecting [a, b)
    int m = 0, lo = 0;
    for (int s = 0; s < 4; s++) {
        int hi = e[s];
        if (hi > lo && a < hi && b > lo) m |= 1 << s;
        lo = max(lo, hi);
    }
    return m;
}

__global__ void __launch_bounds__(128) omni_gated_attention(
    const __half* __restrict__ q, const __half* __restrict__ k, const __half* __restrict__ v,
    const int* __restrict__ cuSeqlens, const int* __restrict__ segEnds, const int* __restrict__ gates,
    const int* __restrict__ qBlocks, int heads, float scale, __half* __restrict__ out) {
    extern __shared__ __align__(16) unsigned char smem[];
    __half* Qs = reinterpret_cast<__half*>(smem);
    __half* Ks = Qs + AT_BM * AT_LDH;
    __half* Vs = Ks + AT_BN * AT_LDH;
    __half* Ps = Vs + AT_BN * AT_LDH;
    float* Ss = reinterpret_cast<float*>(Ps + AT_BM * AT_LDH);
    float* Os = Ss + AT_BM * AT_LDF;
    __shared__ int kseg[AT_BN];
    __shared__ int ends[4];

    const int seq = qBlocks[blockIdx.x * 2];
    const int q0 = qBlocks[blockIdx.x * 2 + 1];
    const int h = blockIdx.y;
    const int start = cuSeqlens[seq];
    const int len = cuSeqlens[seq + 1] - start;
    const int gate = gates[seq];
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    if (tid < 4) ends[tid] = segEnds[seq * 4 + tid];
    __syncthreads();
    const int qEnd = min(q0 + AT_BM, len);
    const int qMask = seg_mask_range(q0, qEnd, ends);
    int kAllow = 0;
    for (int s = 0; s < 4; s++)
        if ((qMask >> s) & 1) kAllow |= (gate >> (s * 4)) & 0xF;
    const size_t rowStride = (size_t)heads * AT_D;

    // Each lane pair owns one query row (r) and half of the columns (c0..c0+31).
    const int r = warp * 16 + (lane >> 1);
    const int c0 = (lane & 1) * 32;
    const int qi = q0 + r;
    const bool rowValid = qi < len;
    const int rowAllow = rowValid ? (gate >> (seg_of(qi, ends) * 4)) & 0xF : 0;

    if (kAllow == 0) {
        if (rowValid) {
            __half* o = out + (size_t)(start + qi) * rowStride + h * AT_D + c0;
            for (int c = 0; c < 32; c++) o[c] = __float2half(0.f);
        }
        return;
    }

    // Load the Q tile (rows past the sequence end are zero).
    for (int i = tid; i < AT_BM * (AT_D / 8); i += 128) {
        int rr = i / (AT_D / 8), cc = (i % (AT_D / 8)) * 8;
        int4 val = make_int4(0, 0, 0, 0);
        if (q0 + rr < len) val = *reinterpret_cast<const int4*>(q + (size_t)(start + q0 + rr) * rowStride + h * AT_D + cc);
        *reinterpret_cast<int4*>(Qs + rr * AT_LDH + cc) = val;
    }
    for (int i = tid; i < AT_BM * AT_LDF; i += 128) Os[i] = 0.f;

    const float sl2 = scale * 1.4426950408889634f;
    float mrow = -INFINITY, lrow = 0.f;

    for (int k0 = 0; k0 < len; k0 += AT_BN) {
        const int kEnd = min(k0 + AT_BN, len);
        if ((seg_mask_range(k0, kEnd, ends) & kAllow) == 0) continue;  // inactive block: skipped entirely
        __syncthreads();  // previous iteration done with Ks / Vs / Ps
        for (int i = tid; i < AT_BN * (AT_D / 8); i += 128) {
            int rr = i / (AT_D / 8), cc = (i % (AT_D / 8)) * 8;
            int4 kv = make_int4(0, 0, 0, 0), vv = make_int4(0, 0, 0, 0);
            if (k0 + rr < len) {
                size_t off = (size_t)(start + k0 + rr) * rowStride + h * AT_D + cc;
                kv = *reinterpret_cast<const int4*>(k + off);
                vv = *reinterpret_cast<const int4*>(v + off);
            }
            *reinterpret_cast<int4*>(Ks + rr * AT_LDH + cc) = kv;
            *reinterpret_cast<int4*>(Vs + rr * AT_LDH + cc) = vv;
        }
        if (tid < AT_BN) kseg[tid] = k0 + tid < len ? seg_of(k0 + tid, ends) : -1;
        __syncthreads();

        // S = Q K^T for this warp's 16 rows.
        for (int j = 0; j < AT_BN / 16; j++) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
            wmma::fill_fragment(acc, 0.f);
#pragma unroll
            for (int kk = 0; kk < AT_D / 16; kk++) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> a;
                wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> b;
                wmma::load_matrix_sync(a, Qs + warp * 16 * AT_LDH + kk * 16, AT_LDH);
                wmma::load_matrix_sync(b, Ks + j * 16 * AT_LDH + kk * 16, AT_LDH);
                wmma::mma_sync(acc, a, b, acc);
            }
            wmma::store_matrix_sync(Ss + warp * 16 * AT_LDF + j * 16, acc, AT_LDF, wmma::mem_row_major);
        }
        __syncwarp();

        // Online softmax for row r, columns c0..c0+31.
        float* srow = Ss + r * AT_LDF;
        float bm = -INFINITY;
        for (int c = c0; c < c0 + 32; c++) {
            int ks = kseg[c];
            float s = (ks >= 0 && ((rowAllow >> ks) & 1)) ? srow[c] * sl2 : -INFINITY;
            srow[c] = s;
            bm = fmaxf(bm, s);
        }
        bm = fmaxf(bm, __shfl_xor_sync(0xffffffffu, bm, 1));
        const float mnew = fmaxf(mrow, bm);
        float alpha, psum = 0.f;
        __half* prow = Ps + r * AT_LDH;
        if (mnew == -INFINITY) {
            alpha = 1.f;
            for (int c = c0; c < c0 + 32; c++) prow[c] = __float2half(0.f);
        } else {
            alpha = exp2f(mrow - mnew);
            for (int c = c0; c < c0 + 32; c++) {
                float p = exp2f(srow[c] - mnew);
                __half ph = __float2half(p);
                prow[c] = ph;
                psum += __half2float(ph);
            }
        }
        psum += __shfl_xor_sync(0xffffffffu, psum, 1);
        lrow = lrow * alpha + psum;
        mrow = mnew;
        float* orow = Os + r * AT_LDF;
        if (alpha != 1.f)
            for (int c = c0; c < c0 + 32; c++) orow[c] *= alpha;
        __syncwarp();

        // O += P V for this warp's 16 rows.
        for (int j = 0; j < AT_D / 16; j++) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
            wmma::load_matrix_sync(acc, Os + warp * 16 * AT_LDF + j * 16, AT_LDF, wmma::mem_row_major);
#pragma unroll
            for (int kk = 0; kk < AT_BN / 16; kk++) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> a;
                wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::row_major> b;
                wmma::load_matrix_sync(a, Ps + warp * 16 * AT_LDH + kk * 16, AT_LDH);
                wmma::load_matrix_sync(b, Vs + kk * 16 * AT_LDH + j * 16, AT_LDH);
                wmma::mma_sync(acc, a, b, acc);
            }
            wmma::store_matrix_sync(Os + warp * 16 * AT_LDF + j * 16, acc, AT_LDF, wmma::mem_row_major);
        }
        __syncwarp();
    }

    if (rowValid) {
        const float inv = lrow > 0.f ? 1.f / lrow : 0.f;
        const float* orow = Os + r * AT_LDF;
        __half* o = out + (size_t)(start + qi) * rowStride + h * AT_D + c0;
        for (int c = 0; c < 32; c += 2) {
            *reinterpret_cast<__half2*>(o + c) = __floats2half2_rn(orow[c0 + c] * inv, orow[c0 + c + 1] * inv);
        }
    }
}

// The same contract as omni_gated_attention, FlashAttention-2 style: mma.sync m16n8k16 with the score and output
// accumulators kept in registers (no shared-memory round trip), probabilities fed to the P.V product straight from
// the score registers. 4 warps x 16 query rows per CTA, 64-key blocks, inactive blocks skipped.
__device__ __forceinline__ void mma16816(float* d, const uint32_t* a, uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ uint32_t pack_half2(float lo, float hi) {
    __half2 h = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&h);
}

__device__ __forceinline__ uint32_t pack_two_halves(__half lo, __half hi) {
    return (uint32_t)__half_as_ushort(lo) | ((uint32_t)__half_as_ushort(hi) << 16);
}

__device__ __forceinline__ void cp_async16(void* smem, const void* gmem, int srcBytes) {
    const uint32_t a = (uint32_t)__cvta_generic_to_shared(smem);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(a), "l"(gmem), "r"(srcBytes));
}

__device__ __forceinline__ void cp_async_commit() {
    asm volatile("cp.async.commit_group;\n" ::);
}

__device__ __forceinline__ void cp_async_wait_all_but_one() {
    asm volatile("cp.async.wait_group 1;\n" ::);
}

__device__ __forceinline__ void cp_async_wait_all() {
    asm volatile("cp.async.wait_group 0;\n" ::);
}

__device__ __forceinline__ void ldsm_x4(uint32_t* r, const __half* p) {
    const uint32_t a = (uint32_t)__cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a));
}

__device__ __forceinline__ void ldsm_x4_trans(uint32_t* r, const __half* p) {
    const uint32_t a = (uint32_t)__cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a));
}

}  // extern "C"

template <int WARPS, bool LDMATRIX, bool PIPE>
__device__ __forceinline__ void gated_attention_mma(
    const __half* __restrict__ q, const __half* __restrict__ k, const __half* __restrict__ v,
    const int* __restrict__ cuSeqlens, const int* __restrict__ segEnds, const int* __restrict__ gates,
    const int* __restrict__ qBlocks, int heads, float scale, __half* __restrict__ out) {
    constexpr int BM = WARPS * 16;
    constexpr int NT = WARPS * 32;
    constexpr int NBUF = PIPE ? 2 : 1;
    constexpr int TILE = AT_BN * AT_LDH;  // one K or V block
    // buffer b holds K at KV + 2*b*TILE and V right after it; with double buffering the Q tile borrows buffer 1
    // (read into registers before the first load into that buffer), so 8 warps still fit in 48 KiB
    static_assert(!PIPE || BM * AT_LDH <= 2 * TILE, "Q tile must fit in one K/V buffer");
    __shared__ __align__(16) __half KV[NBUF * 2 * TILE];
    __shared__ __align__(16) __half Qown[PIPE ? 8 : BM * AT_LDH];
    __half* const Qs = PIPE ? KV + 2 * TILE : Qown;
    __half* const Ks = KV;
    __shared__ int ends[4];

    const int seq = qBlocks[blockIdx.x * 2];
    const int q0 = qBlocks[blockIdx.x * 2 + 1];
    const int h = blockIdx.y;
    const int start = cuSeqlens[seq];
    const int len = cuSeqlens[seq + 1] - start;
    const int gate = gates[seq];
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int g = lane >> 2, t2 = (lane & 3) * 2;
    if (tid < 4) ends[tid] = segEnds[seq * 4 + tid];
    __syncthreads();
    const int qMask = seg_mask_range(q0, min(q0 + BM, len), ends);
    int kAllow = 0;
    for (int s = 0; s < 4; s++)
        if ((qMask >> s) & 1) kAllow |= (gate >> (s * 4)) & 0xF;
    const size_t rowStride = (size_t)heads * AT_D;
    const int r0 = warp * 16 + g;  // this thread's rows: r0 and r0 + 8
    int allow[2];
    bool valid[2];
#pragma unroll
    for (int i = 0; i < 2; i++) {
        int qi = q0 + r0 + 8 * i;
        valid[i] = qi < len;
        allow[i] = valid[i] ? (gate >> (seg_of(qi, ends) * 4)) & 0xF : 0;
    }

    float oacc[8][4];
#pragma unroll
    for (int dt = 0; dt < 8; dt++)
#pragma unroll
        for (int e = 0; e < 4; e++) oacc[dt][e] = 0.f;
    float mrow[2] = {-INFINITY, -INFINITY};
    float lrow[2] = {0.f, 0.f};

    if (kAllow != 0) {
        for (int i = tid; i < BM * (AT_D / 8); i += NT) {
            int rr = i / (AT_D / 8), cc = (i % (AT_D / 8)) * 8;
            int4 val = make_int4(0, 0, 0, 0);
            if (q0 + rr < len) val = *reinterpret_cast<const int4*>(q + (size_t)(start + q0 + rr) * rowStride + h * AT_D + cc);
            *reinterpret_cast<int4*>(Qs + rr * AT_LDH + cc) = val;
        }
        __syncthreads();
        uint32_t qf[4][4];
#pragma unroll
        for (int kk = 0; kk < 4; kk++) {
            const __half* base = Qs + r0 * AT_LDH + kk * 16 + t2;
            qf[kk][0] = *reinterpret_cast<const uint32_t*>(base);
            qf[kk][1] = *reinterpret_cast<const uint32_t*>(base + 8 * AT_LDH);
            qf[kk][2] = *reinterpret_cast<const uint32_t*>(base + 8);
            qf[kk][3] = *reinterpret_cast<const uint32_t*>(base + 8 * AT_LDH + 8);
        }
        __syncthreads();  // the Q tile may share memory with K/V buffer 1
        const float sl2 = scale * 1.4426950408889634f;

        auto isActive = [&](int kb) { return (seg_mask_range(kb, min(kb + AT_BN, len), ends) & kAllow) != 0; };
        auto nextActive = [&](int kb) {
            while (kb < len && !isActive(kb)) kb += AT_BN;
            return kb;
        };
        // Computes one active key block held in Kb / Vb.
        auto block = [&](const int k0, const __half* __restrict__ Kb, const __half* __restrict__ Vb) {
            const int kEnd = min(k0 + AT_BN, len);
            const int kMask = seg_mask_range(k0, kEnd, ends);
            // rows whose every key of this (complete) block is allowed need no element mask: the common case
            const bool full0 = kEnd - k0 == AT_BN && (kMask & ~allow[0]) == 0;
            const bool full1 = kEnd - k0 == AT_BN && (kMask & ~allow[1]) == 0;
            float sacc[8][4];
#pragma unroll
            for (int nt = 0; nt < 8; nt++) {
#pragma unroll
                for (int e = 0; e < 4; e++) sacc[nt][e] = 0.f;
                if (LDMATRIX) {
                    // lane i addresses row i%8 of 8x8 matrix i/8: dims kk*16 + {0, 8, 16, 24} for kk = 0, 2
#pragma unroll
                    for (int kk = 0; kk < 4; kk += 2) {
                        uint32_t b[4];
                        const int m = lane >> 3;
                        ldsm_x4(b, Kb + (nt * 8 + (lane & 7)) * AT_LDH + kk * 16 + (m & 1) * 8 + (m >> 1) * 16);
                        mma16816(sacc[nt], qf[kk], b[0], b[1]);
                        mma16816(sacc[nt], qf[kk + 1], b[2], b[3]);
                    }
                } else {
#pragma unroll
                    for (int kk = 0; kk < 4; kk++) {
                        const __half* kb = Kb + (nt * 8 + g) * AT_LDH + kk * 16 + t2;
                        mma16816(sacc[nt], qf[kk], *reinterpret_cast<const uint32_t*>(kb),
                                 *reinterpret_cast<const uint32_t*>(kb + 8));
                    }
                }
            }
            // mask, scale (log2 domain) and block row maxima
            float bm[2] = {-INFINITY, -INFINITY};
            if (full0 && full1) {
#pragma unroll
                for (int nt = 0; nt < 8; nt++) {
#pragma unroll
                    for (int e = 0; e < 4; e++) {
                        const float sv = sacc[nt][e] * sl2;
                        sacc[nt][e] = sv;
                        bm[e >> 1] = fmaxf(bm[e >> 1], sv);
                    }
                }
            } else {
#pragma unroll
                for (int nt = 0; nt < 8; nt++) {
#pragma unroll
                    for (int e = 0; e < 4; e++) {
                        const int key = k0 + nt * 8 + t2 + (e & 1);
                        const int ks = key < len ? seg_of(key, ends) : -1;
                        const int ri = e >> 1;
                        const float sv = (ks >= 0 && ((allow[ri] >> ks) & 1)) ? sacc[nt][e] * sl2 : -INFINITY;
                        sacc[nt][e] = sv;
                        bm[ri] = fmaxf(bm[ri], sv);
                    }
                }
            }
            float alpha[2], mnew[2];
#pragma unroll
            for (int ri = 0; ri < 2; ri++) {
                bm[ri] = fmaxf(bm[ri], __shfl_xor_sync(0xffffffffu, bm[ri], 1));
                bm[ri] = fmaxf(bm[ri], __shfl_xor_sync(0xffffffffu, bm[ri], 2));
                mnew[ri] = fmaxf(mrow[ri], bm[ri]);
                alpha[ri] = mnew[ri] == -INFINITY ? 1.f : exp2f(mrow[ri] - mnew[ri]);
                mrow[ri] = mnew[ri];
                lrow[ri] *= alpha[ri];
            }
#pragma unroll
            for (int dt = 0; dt < 8; dt++) {
                oacc[dt][0] *= alpha[0];
                oacc[dt][1] *= alpha[0];
                oacc[dt][2] *= alpha[1];
                oacc[dt][3] *= alpha[1];
            }
#pragma unroll
            for (int nt = 0; nt < 8; nt++) {
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    const int ri = e >> 1;
                    const float p = mnew[ri] == -INFINITY ? 0.f : exp2f(sacc[nt][e] - mnew[ri]);
                    sacc[nt][e] = p;
                    lrow[ri] += p;
                }
            }
            // O += P V
#pragma unroll
            for (int kc = 0; kc < 4; kc++) {
                uint32_t pa[4];
                pa[0] = pack_half2(sacc[2 * kc][0], sacc[2 * kc][1]);
                pa[1] = pack_half2(sacc[2 * kc][2], sacc[2 * kc][3]);
                pa[2] = pack_half2(sacc[2 * kc + 1][0], sacc[2 * kc + 1][1]);
                pa[3] = pack_half2(sacc[2 * kc + 1][2], sacc[2 * kc + 1][3]);
                if (LDMATRIX) {
                    // transposed 8x8 loads: matrices (keys +0..7, dt), (keys +8..15, dt), (+0..7, dt+1), (+8..15, dt+1)
                    const int m = lane >> 3;
#pragma unroll
                    for (int dt = 0; dt < 8; dt += 2) {
                        uint32_t b[4];
                        ldsm_x4_trans(b, Vb + (kc * 16 + (m & 1) * 8 + (lane & 7)) * AT_LDH + (dt + (m >> 1)) * 8);
                        mma16816(oacc[dt], pa, b[0], b[1]);
                        mma16816(oacc[dt + 1], pa, b[2], b[3]);
                    }
                } else {
                    const __half* vb = Vb + (kc * 16 + t2) * AT_LDH + g;
#pragma unroll
                    for (int dt = 0; dt < 8; dt++) {
                        const __half* c = vb + dt * 8;
                        uint32_t b0 = pack_two_halves(c[0], c[AT_LDH]);
                        uint32_t b1 = pack_two_halves(c[8 * AT_LDH], c[9 * AT_LDH]);
                        mma16816(oacc[dt], pa, b0, b1);
                    }
                }
            }
        };

        auto load = [&](int kb, int buf) {  // copies key block kb into buffer buf; rows past the end are zero
            __half* Kd = Ks + buf * 2 * TILE;
            __half* Vd = Kd + TILE;
            for (int i = tid; i < AT_BN * (AT_D / 8); i += NT) {
                const int rr = i / (AT_D / 8), cc = (i % (AT_D / 8)) * 8;
                const bool in = kb + rr < len;
                const size_t off = (size_t)(start + (in ? kb + rr : 0)) * rowStride + h * AT_D + cc;
                if (PIPE) {
                    cp_async16(Kd + rr * AT_LDH + cc, k + off, in ? 16 : 0);
                    cp_async16(Vd + rr * AT_LDH + cc, v + off, in ? 16 : 0);
                } else {
                    int4 kv = make_int4(0, 0, 0, 0), vv = make_int4(0, 0, 0, 0);
                    if (in) {
                        kv = *reinterpret_cast<const int4*>(k + off);
                        vv = *reinterpret_cast<const int4*>(v + off);
                    }
                    *reinterpret_cast<int4*>(Kd + rr * AT_LDH + cc) = kv;
                    *reinterpret_cast<int4*>(Vd + rr * AT_LDH + cc) = vv;
                }
            }
            if (PIPE) cp_async_commit();
        };

        if constexpr (PIPE) {
            // double buffering: the next active block streams in (cp.async) while this one is computed
            int kb = nextActive(0);
            int buf = 0;
            if (kb < len) load(kb, 0);
            while (kb < len) {
                const int nb = nextActive(kb + AT_BN);
                if (nb < len) {
                    load(nb, buf ^ 1);
                    cp_async_wait_all_but_one();
                } else {
                    cp_async_wait_all();
                }
                __syncthreads();
                block(kb, Ks + buf * 2 * TILE, Ks + buf * 2 * TILE + TILE);
                __syncthreads();
                kb = nb;
                buf ^= 1;
            }
        } else {
            for (int kb = nextActive(0); kb < len; kb = nextActive(kb + AT_BN)) {
                __syncthreads();
                load(kb, 0);
                __syncthreads();
                block(kb, Ks, Ks + TILE);
            }
        }
    }
#pragma unroll
    for (int ri = 0; ri < 2; ri++) {
        float l = lrow[ri];
        l += __shfl_xor_sync(0xffffffffu, l, 1);
        l += __shfl_xor_sync(0xffffffffu, l, 2);
        lrow[ri] = l > 0.f ? 1.f / l : 0.f;
    }
#pragma unroll
    for (int ri = 0; ri < 2; ri++) {
        if (!valid[ri]) continue;
        __half* o = out + (size_t)(start + q0 + r0 + 8 * ri) * rowStride + h * AT_D + t2;
#pragma unroll
        for (int dt = 0; dt < 8; dt++) {
            *reinterpret_cast<__half2*>(o + dt * 8) =
                __floats2half2_rn(oacc[dt][2 * ri] * lrow[ri], oacc[dt][2 * ri + 1] * lrow[ri]);
        }
    }
}


extern "C" {

__global__ void __launch_bounds__(128) omni_gated_attention_mma(
    const __half* __restrict__ q, const __half* __restrict__ k, const __half* __restrict__ v,
    const int* __restrict__ cuSeqlens, const int* __restrict__ segEnds, const int* __restrict__ gates,
    const int* __restrict__ qBlocks, int heads, float scale, __half* __restrict__ out) {
    gated_attention_mma<4, false, false>(q, k, v, cuSeqlens, segEnds, gates, qBlocks, heads, scale, out);
}

// 8 warps: 128 query rows per CTA, so every K/V block loaded into shared memory serves twice the queries.
__global__ void __launch_bounds__(256) omni_gated_attention_mma8(
    const __half* __restrict__ q, const __half* __restrict__ k, const __half* __restrict__ v,
    const int* __restrict__ cuSeqlens, const int* __restrict__ segEnds, const int* __restrict__ gates,
    const int* __restrict__ qBlocks, int heads, float scale, __half* __restrict__ out) {
    gated_attention_mma<8, false, false>(q, k, v, cuSeqlens, segEnds, gates, qBlocks, heads, scale, out);
}

// As omni_gated_attention_mma, with K and V fragments loaded by ldmatrix (transposed for V): 8x fewer shared loads.
__global__ void __launch_bounds__(128) omni_gated_attention_ldsm(
    const __half* __restrict__ q, const __half* __restrict__ k, const __half* __restrict__ v,
    const int* __restrict__ cuSeqlens, const int* __restrict__ segEnds, const int* __restrict__ gates,
    const int* __restrict__ qBlocks, int heads, float scale, __half* __restrict__ out) {
    gated_attention_mma<4, true, false>(q, k, v, cuSeqlens, segEnds, gates, qBlocks, heads, scale, out);
}

// As omni_gated_attention_mma with K/V double-buffered through cp.async (loads overlap the tensor-core work).
__global__ void __launch_bounds__(128) omni_gated_attention_pipe(
    const __half* __restrict__ q, const __half* __restrict__ k, const __half* __restrict__ v,
    const int* __restrict__ cuSeqlens, const int* __restrict__ segEnds, const int* __restrict__ gates,
    const int* __restrict__ qBlocks, int heads, float scale, __half* __restrict__ out) {
    gated_attention_mma<4, false, true>(q, k, v, cuSeqlens, segEnds, gates, qBlocks, heads, scale, out);
}

// PIPE with 8 warps (128 query rows per CTA).
__global__ void __launch_bounds__(256) omni_gated_attention_pipe8(
    const __half* __restrict__ q, const __half* __restrict__ k, const __half* __restrict__ v,
    const int* __restrict__ cuSeqlens, const int* __restrict__ segEnds, const int* __restrict__ gates,
    const int* __restrict__ qBlocks, int heads, float scale, __half* __restrict__ out) {
    gated_attention_mma<8, false, true>(q, k, v, cuSeqlens, segEnds, gates, qBlocks, heads, scale, out);
}

// PIPE with ldmatrix loads, registers capped for 4 CTAs per SM.
__global__ void __launch_bounds__(128, 4) omni_gated_attention_pipe_ldsm(
    const __half* __restrict__ q, const __half* __restrict__ k, const __half* __restrict__ v,
    const int* __restrict__ cuSeqlens, const int* __restrict__ segEnds, const int* __restrict__ gates,
    const int* __restrict__ qBlocks, int heads, float scale, __half* __restrict__ out) {
    gated_attention_mma<4, true, true>(q, k, v, cuSeqlens, segEnds, gates, qBlocks, heads, scale, out);
}

}  // extern "C"

// ---------------------------------------------------------------------------------------------------------------
// d'. The hot path of the gated attention (the same contract as omni_gated_attention): FlashAttention-2 layout with
// every warp owning MT x 16 query rows, so each K/V fragment read from shared memory by ldmatrix feeds MT tensor-core
// MMAs (mma.sync m16n8k16, fp16 in, fp32 accumulate). WARPS x MT x 16 query rows per CTA, BN-key blocks streamed
// through a STAGES-deep cp.async ring in dynamic shared memory ([Q tile][K0 V0][K1 V1]...; the Q tile travels with
// the first block), one barrier per key block, only active key blocks loaded and computed, online softmax in fp32
// with ex2.approx in the log2 domain, P fed to the P.V product straight from the score registers. Rows whose every
// key of a whole block is allowed skip the element mask (the common case). gpu-kernels/BENCHMARKS.md compares the
// instantiations; GatedAttentionCuda.Variant.FA2_S3 is the default.
// ---------------------------------------------------------------------------------------------------------------
__device__ __forceinline__ float ex2_approx(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
    return y;
}

template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

// qMeta: per CTA two int4, {sequence's first token, sequence length, gate mask, first query row} and the four segment
// ends, so the CTA starts with one load instead of a chain of dependent ones. BN keys per block (64 or 128); QREG
// keeps the Q fragments in registers for the whole CTA, else they are re-read from shared memory by ldmatrix for each
// block (frees 32 registers, which BN = 128 needs).
template <int WARPS, int MT, int STAGES, int BN, bool QREG>
__device__ __forceinline__ void gated_attention_fa2(const __half* __restrict__ q, const __half* __restrict__ k,
                                                    const __half* __restrict__ v, const int* __restrict__ qMeta,
                                                    int heads, float scale, __half* __restrict__ out) {
    static_assert(STAGES >= 2, "at least double buffering");
    static_assert(BN == 64 || BN == 128, "64 or 128 keys per block");
    constexpr int BM = WARPS * 16 * MT;
    constexpr int NT = WARPS * 32;
    constexpr int NB = BN / 8;        // n8 score tiles per block
    constexpr int TILE = BN * AT_LDH;  // one K or V block
    extern __shared__ __align__(16) unsigned char fa_smem[];
    __half* const Qs = reinterpret_cast<__half*>(fa_smem);
    __half* const KV = Qs + BM * AT_LDH;  // stage s: K at KV + 2*s*TILE, V right after it

    const int4 m0 = __ldg(reinterpret_cast<const int4*>(qMeta) + blockIdx.x * 2);
    const int4 m1 = __ldg(reinterpret_cast<const int4*>(qMeta) + blockIdx.x * 2 + 1);
    const int start = m0.x, len = m0.y, gate = m0.z, q0 = m0.w;
    const int ends[4] = {m1.x, m1.y, m1.z, m1.w};
    const int h = blockIdx.y;
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int g = lane >> 2, t2 = (lane & 3) * 2;
    const int qMask = seg_mask_range(q0, min(q0 + BM, len), ends);
    int kAllow = 0;
#pragma unroll
    for (int s = 0; s < 4; s++)
        if ((qMask >> s) & 1) kAllow |= (gate >> (s * 4)) & 0xF;
    const size_t rowStride = (size_t)heads * AT_D;
    const int rw = warp * 16 * MT + g;  // this thread's rows: rw + 16 * mt + 8 * i
    // allowed key segments per row; rows past the end are never written, so they allow everything (no mask work)
    int allow[MT][2];
    bool valid[MT][2];
#pragma unroll
    for (int mt = 0; mt < MT; mt++)
#pragma unroll
        for (int i = 0; i < 2; i++) {
            const int qi = q0 + rw + 16 * mt + 8 * i;
            valid[mt][i] = qi < len;
            allow[mt][i] = valid[mt][i] ? (gate >> (seg_of(qi, ends) * 4)) & 0xF : 0xF;
        }

    float oacc[MT][8][4];
#pragma unroll
    for (int mt = 0; mt < MT; mt++)
#pragma unroll
        for (int dt = 0; dt < 8; dt++)
#pragma unroll
            for (int e = 0; e < 4; e++) oacc[mt][dt][e] = 0.f;
    float mrow[MT][2], lrow[MT][2];
#pragma unroll
    for (int mt = 0; mt < MT; mt++)
#pragma unroll
        for (int i = 0; i < 2; i++) {
            mrow[mt][i] = -INFINITY;
            lrow[mt][i] = 0.f;
        }

    if (kAllow != 0) {
        auto isActive = [&](int kb) { return (seg_mask_range(kb, min(kb + BN, len), ends) & kAllow) != 0; };
        auto nextActive = [&](int kb) {
            while (kb < len && !isActive(kb)) kb += BN;
            return kb;
        };
        auto load = [&](int kb, int stage) {  // key block kb into a stage; rows past the end are zero
            __half* Kd = KV + stage * 2 * TILE;
            __half* Vd = Kd + TILE;
#pragma unroll
            for (int i = tid; i < BN * (AT_D / 8); i += NT) {
                const int rr = i >> 3, cc = (i & 7) * 8;
                const bool in = kb + rr < len;
                const size_t off = (size_t)(start + (in ? kb + rr : 0)) * rowStride + h * AT_D + cc;
                cp_async16(Kd + rr * AT_LDH + cc, k + off, in ? 16 : 0);
                cp_async16(Vd + rr * AT_LDH + cc, v + off, in ? 16 : 0);
            }
        };

        // prologue: the Q tile travels in the first group with the first active key block
#pragma unroll
        for (int i = tid; i < BM * (AT_D / 8); i += NT) {
            const int rr = i >> 3, cc = (i & 7) * 8;
            const bool in = q0 + rr < len;
            cp_async16(Qs + rr * AT_LDH + cc, q + (size_t)(start + (in ? q0 + rr : 0)) * rowStride + h * AT_D + cc,
                       in ? 16 : 0);
        }
        int loadKb = nextActive(0);
        const int firstKb = loadKb;
#pragma unroll
        for (int s = 0; s < STAGES - 1; s++) {
            if (loadKb < len) {
                load(loadKb, s);
                loadKb = nextActive(loadKb + BN);
            }
            cp_async_commit();
        }
        uint32_t qf[QREG ? MT : 1][4][4];
        const float sl2 = scale * 1.4426950408889634f;

        int stage = 0;
        for (int kb = firstKb; kb < len; kb = nextActive(kb + BN)) {
            cp_async_wait<STAGES - 2>();  // this block's group (and the Q tile) has landed for this thread ...
            __syncthreads();              // ... and for every thread; everyone is done with the stage refilled next
            if (QREG && kb == firstKb) {
#pragma unroll
                for (int mt = 0; mt < (QREG ? MT : 1); mt++)
#pragma unroll
                    for (int kk = 0; kk < 4; kk++)
                        ldsm_x4(qf[mt][kk], Qs + (warp * 16 * MT + mt * 16 + (lane & 15)) * AT_LDH + kk * 16 + (lane >> 4) * 8);
            }
            {
                int ls = stage + STAGES - 1;
                if (ls >= STAGES) ls -= STAGES;
                if (loadKb < len) {
                    load(loadKb, ls);
                    loadKb = nextActive(loadKb + BN);
                }
                cp_async_commit();
            }
            const __half* Kb = KV + stage * 2 * TILE;
            const __half* Vb = Kb + TILE;
            if (++stage == STAGES) stage = 0;

            const int kEnd = min(kb + BN, len);
            const int kMask = seg_mask_range(kb, kEnd, ends);
            const bool whole = kEnd - kb == BN;

            // S = Q K^T: every K fragment feeds MT MMAs
            float sacc[MT][NB][4];
#pragma unroll
            for (int mt = 0; mt < MT; mt++)
#pragma unroll
                for (int nt = 0; nt < NB; nt++)
#pragma unroll
                    for (int e = 0; e < 4; e++) sacc[mt][nt][e] = 0.f;
#pragma unroll
            for (int kk = 0; kk < 4; kk += 2) {
                uint32_t qs[MT][2][4];
                if constexpr (!QREG) {
#pragma unroll
                    for (int mt = 0; mt < MT; mt++)
#pragma unroll
                        for (int j = 0; j < 2; j++)
                            ldsm_x4(qs[mt][j], Qs + (warp * 16 * MT + mt * 16 + (lane & 15)) * AT_LDH + (kk + j) * 16 + (lane >> 4) * 8);
                }
#pragma unroll
                for (int nt = 0; nt < NB; nt++) {
                    uint32_t b[4];
                    const int m = lane >> 3;
                    ldsm_x4(b, Kb + (nt * 8 + (lane & 7)) * AT_LDH + kk * 16 + (m & 1) * 8 + (m >> 1) * 16);
#pragma unroll
                    for (int mt = 0; mt < MT; mt++) {
                        if constexpr (QREG) {
                            mma16816(sacc[mt][nt], qf[QREG ? mt : 0][kk], b[0], b[1]);
                            mma16816(sacc[mt][nt], qf[QREG ? mt : 0][kk + 1], b[2], b[3]);
                        } else {
                            mma16816(sacc[mt][nt], qs[mt][0], b[0], b[1]);
                            mma16816(sacc[mt][nt], qs[mt][1], b[2], b[3]);
                        }
                    }
                }
            }

            // online softmax (log2 domain)
#pragma unroll
            for (int mt = 0; mt < MT; mt++) {
                float bm[2] = {-INFINITY, -INFINITY};
                const bool full = whole && (kMask & ~allow[mt][0]) == 0 && (kMask & ~allow[mt][1]) == 0;
                if (full) {
#pragma unroll
                    for (int nt = 0; nt < NB; nt++)
#pragma unroll
                        for (int e = 0; e < 4; e++) {
                            const float sv = sacc[mt][nt][e] * sl2;
                            sacc[mt][nt][e] = sv;
                            bm[e >> 1] = fmaxf(bm[e >> 1], sv);
                        }
                } else {
#pragma unroll
                    for (int nt = 0; nt < NB; nt++)
#pragma unroll
                        for (int e = 0; e < 4; e++) {
                            const int key = kb + nt * 8 + t2 + (e & 1);
                            const int ks = key < len ? seg_of(key, ends) : -1;
                            const int ri = e >> 1;
                            const float sv = (ks >= 0 && ((allow[mt][ri] >> ks) & 1)) ? sacc[mt][nt][e] * sl2 : -INFINITY;
                            sacc[mt][nt][e] = sv;
                            bm[ri] = fmaxf(bm[ri], sv);
                        }
                }
                float mu[2];
#pragma unroll
                for (int ri = 0; ri < 2; ri++) {
                    bm[ri] = fmaxf(bm[ri], __shfl_xor_sync(0xffffffffu, bm[ri], 1));
                    bm[ri] = fmaxf(bm[ri], __shfl_xor_sync(0xffffffffu, bm[ri], 2));
                    const float mnew = fmaxf(mrow[mt][ri], bm[ri]);
                    mu[ri] = mnew == -INFINITY ? 0.f : mnew;  // a row with nothing visible yet stays at p = 0
                    const float alpha = ex2_approx(mrow[mt][ri] - mu[ri]);
                    mrow[mt][ri] = mnew;
                    lrow[mt][ri] *= alpha;
#pragma unroll
                    for (int dt = 0; dt < 8; dt++) {
                        oacc[mt][dt][2 * ri] *= alpha;
                        oacc[mt][dt][2 * ri + 1] *= alpha;
                    }
                }
#pragma unroll
                for (int nt = 0; nt < NB; nt++)
#pragma unroll
                    for (int e = 0; e < 4; e++) {
                        const float p = ex2_approx(sacc[mt][nt][e] - mu[e >> 1]);
                        sacc[mt][nt][e] = p;
                        lrow[mt][e >> 1] += p;
                    }
            }

            // O += P V: every V fragment (transposed ldmatrix) feeds MT MMAs
#pragma unroll
            for (int kc = 0; kc < BN / 16; kc++) {
                uint32_t pa[MT][4];
#pragma unroll
                for (int mt = 0; mt < MT; mt++) {
                    pa[mt][0] = pack_half2(sacc[mt][2 * kc][0], sacc[mt][2 * kc][1]);
                    pa[mt][1] = pack_half2(sacc[mt][2 * kc][2], sacc[mt][2 * kc][3]);
                    pa[mt][2] = pack_half2(sacc[mt][2 * kc + 1][0], sacc[mt][2 * kc + 1][1]);
                    pa[mt][3] = pack_half2(sacc[mt][2 * kc + 1][2], sacc[mt][2 * kc + 1][3]);
                }
                const int m = lane >> 3;
#pragma unroll
                for (int dt = 0; dt < 8; dt += 2) {
                    uint32_t b[4];
                    ldsm_x4_trans(b, Vb + (kc * 16 + (m & 1) * 8 + (lane & 7)) * AT_LDH + (dt + (m >> 1)) * 8);
#pragma unroll
                    for (int mt = 0; mt < MT; mt++) {
                        mma16816(oacc[mt][dt], pa[mt], b[0], b[1]);
                        mma16816(oacc[mt][dt + 1], pa[mt], b[2], b[3]);
                    }
                }
            }
        }
        cp_async_wait<0>();  // no copy may still target shared memory when the CTA exits
    }
#pragma unroll
    for (int mt = 0; mt < MT; mt++)
#pragma unroll
        for (int ri = 0; ri < 2; ri++) {
            float l = lrow[mt][ri];
            l += __shfl_xor_sync(0xffffffffu, l, 1);
            l += __shfl_xor_sync(0xffffffffu, l, 2);
            const float inv = l > 0.f ? 1.f / l : 0.f;
            if (!valid[mt][ri]) continue;
            __half* o = out + (size_t)(start + q0 + rw + 16 * mt + 8 * ri) * rowStride + h * AT_D + t2;
#pragma unroll
            for (int dt = 0; dt < 8; dt++) {
                *reinterpret_cast<__half2*>(o + dt * 8) =
                    __floats2half2_rn(oacc[mt][dt][2 * ri] * inv, oacc[mt][dt][2 * ri + 1] * inv);
            }
        }
}

#define FA2_KERNEL(NAME, THREADS, MINB, WARPS, MT, STAGES, BN, QREG)                                                 \
    __global__ void __launch_bounds__(THREADS, MINB) NAME(                                                            \
        const __half* __restrict__ q, const __half* __restrict__ k, const __half* __restrict__ v,                     \
        const int* __restrict__ cuSeqlens, const int* __restrict__ segEnds, const int* __restrict__ gates,           \
        const int* __restrict__ qMeta, int heads, float scale, __half* __restrict__ out) {                           \
        gated_attention_fa2<WARPS, MT, STAGES, BN, QREG>(q, k, v, qMeta, heads, scale, out);                          \
    }

// Same parameters as the kernels above (cuSeqlens, segEnds and gates are unused: qMeta carries them per CTA).
// Dynamic shared memory (BM + STAGES * 2 * BN) * 72 * 2 bytes.
extern "C" {
// 4 warps x 32 query rows = 128 rows per CTA, 64-key blocks double-buffered, Q fragments in registers.
FA2_KERNEL(omni_gated_attention_fa2, 128, 2, 4, 2, 2, 64, true)
// ... with a 3-stage K/V ring.
FA2_KERNEL(omni_gated_attention_fa2_s3, 128, 2, 4, 2, 3, 64, true)
// ... with 128-key blocks (half the softmax bookkeeping per key), Q fragments re-read from shared memory.
FA2_KERNEL(omni_gated_attention_fa2_n128, 128, 1, 4, 2, 2, 128, false)
// 2 warps x 32 rows = 64 rows per CTA (finer grain for short sequences).
FA2_KERNEL(omni_gated_attention_fa2_64, 64, 4, 2, 2, 2, 64, true)
// 8 warps x 16 rows = 128 rows per CTA (FA2's other layout: fewer registers, more warps to hide latency).
FA2_KERNEL(omni_gated_attention_fa2_w8, 256, 1, 8, 1, 2, 64, true)
// ... with 128-key blocks.
FA2_KERNEL(omni_gated_attention_fa2_w8_n128, 256, 1, 8, 1, 2, 128, true)
}  // extern "C"

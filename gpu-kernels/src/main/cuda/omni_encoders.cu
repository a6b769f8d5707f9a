// Omnistream GPU encoders built from the real model files (issue 7). Each kernel sequence's specification is its
// Java twin (io.omnistream.gpu.encoders.*.*Twin); the GPU tests compare the two. The GEMMs run in cuBLAS (fp32,
// default math mode: no TF32; the text encoder's fp16 in, fp32 accumulate), these kernels do everything between them. Built by nvcc during the Maven build into
// omni_encoders.fatbin (sm_90 SASS + compute_90 PTX) and omni_encoders.ptx. No --use_fast_math: expf/tanhf/sqrtf
// must stay IEEE-accurate to match the twin within 1e-5.

#include <stdint.h>
#include <cuda_fp16.h>

#define VAD_WINDOW 576
#define VAD_FFT 256
#define VAD_HOP 128
#define VAD_FRAMES 4
#define VAD_BINS 129
#define VAD_HIDDEN 128
#define VAD_STATE 256

extern "C" {

// ---------------------------------------------------------------------------------------------------------------
// Silero VAD v5, 16 kHz (io.omnistream.gpu.encoders.vad.SileroVadTwin). Activations are row-major matrices with
// one row per (session, frame).
// ---------------------------------------------------------------------------------------------------------------

// frames[(b*4 + t)][k] = padded_b[t*128 + k], padded_b = window_b ++ reflect(window_b, pad) (torch F.pad "reflect").
__global__ void __launch_bounds__(256) vad_frames(const float* __restrict__ windows, int n, float* __restrict__ frames) {
    const size_t total = (size_t)n * VAD_FRAMES * VAD_FFT;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        const int k = (int)(i % VAD_FFT);
        const size_t row = i / VAD_FFT;
        const int t = (int)(row % VAD_FRAMES);
        const size_t b = row / VAD_FRAMES;
        int p = t * VAD_HOP + k;
        if (p >= VAD_WINDOW) p = 2 * (VAD_WINDOW - 1) - p;
        frames[i] = windows[b * VAD_WINDOW + p];
    }
}

// mag[r][f] = sqrt(S[r][f]^2 + S[r][129 + f]^2) for the rows of the STFT GEMM S [rows][258].
__global__ void __launch_bounds__(256) vad_magnitude(const float* __restrict__ S, int rows, float* __restrict__ mag) {
    const size_t total = (size_t)rows * VAD_BINS;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        const size_t r = i / VAD_BINS;
        const int f = (int)(i % VAD_BINS);
        const float re = S[r * (2 * VAD_BINS) + f];
        const float im = S[r * (2 * VAD_BINS) + VAD_BINS + f];
        mag[i] = sqrtf(re * re + im * im);
    }
}

// im2col for Conv1d(kernel 3, padding 1, stride s): X[(b, t)][k*C + i] = A[(b, t*s - 1 + k)][i] or 0 outside.
__global__ void __launch_bounds__(256) vad_im2col(const float* __restrict__ A, int n, int C, int T, int Tout, int stride,
                                                  float* __restrict__ X) {
    const size_t total = (size_t)n * Tout * 3 * C;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        const int col = (int)(i % (3 * C));
        const size_t row = i / (3 * C);
        const int t = (int)(row % Tout);
        const size_t b = row / Tout;
        const int k = col / C;
        const int c = col % C;
        const int p = t * stride - 1 + k;
        X[i] = (p >= 0 && p < T) ? A[(b * T + p) * C + c] : 0.f;
    }
}

// out[r*ldOut + c] = ReLU(Y[r][c] + bias[c]); written into a wider matrix when ldOut > C (the LSTM's [x | h] input).
__global__ void __launch_bounds__(256) enc_bias_relu(const float* __restrict__ Y, const float* __restrict__ bias, int rows,
                                                     int C, float* __restrict__ out, int ldOut) {
    const size_t total = (size_t)rows * C;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        const size_t r = i / C;
        const int c = (int)(i % C);
        const float v = Y[i] + bias[c];
        out[r * ldOut + c] = v > 0.f ? v : 0.f;
    }
}

// XH[b][128 + j] = h_b[j]: the recurrent half of the LSTM GEMM's input.
__global__ void __launch_bounds__(256) vad_state_in(const float* __restrict__ state, int n, float* __restrict__ XH) {
    const size_t total = (size_t)n * VAD_HIDDEN;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        const size_t b = i / VAD_HIDDEN;
        const int j = (int)(i % VAD_HIDDEN);
        XH[b * (2 * VAD_HIDDEN) + VAD_HIDDEN + j] = state[b * VAD_STATE + j];
    }
}

__device__ __forceinline__ float vad_sigmoid(float v) { return 1.f / (1.f + expf(-v)); }

// LSTM cell on the gate pre-activations G [n][512] (PyTorch order i, f, g, o) plus bias (b_ih + b_hh); state (h, c)
// updated in place.
__global__ void __launch_bounds__(256) vad_lstm(const float* __restrict__ G, const float* __restrict__ bias, int n,
                                                float* __restrict__ state) {
    const size_t total = (size_t)n * VAD_HIDDEN;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        const size_t b = i / VAD_HIDDEN;
        const int j = (int)(i % VAD_HIDDEN);
        const float* g = G + b * (4 * VAD_HIDDEN);
        const float ig = vad_sigmoid(g[j] + bias[j]);
        const float fg = vad_sigmoid(g[VAD_HIDDEN + j] + bias[VAD_HIDDEN + j]);
        const float cg = tanhf(g[2 * VAD_HIDDEN + j] + bias[2 * VAD_HIDDEN + j]);
        const float og = vad_sigmoid(g[3 * VAD_HIDDEN + j] + bias[3 * VAD_HIDDEN + j]);
        float* s = state + b * VAD_STATE;
        const float c = fg * s[VAD_HIDDEN + j] + ig * cg;
        s[VAD_HIDDEN + j] = c;
        s[j] = og * tanhf(c);
    }
}

// prob[b] = sigmoid(decB + sum_k decW[k] * ReLU(h_b[k])); one warp per session.
__global__ void __launch_bounds__(256) vad_decode(const float* __restrict__ state, const float* __restrict__ decW,
                                                  float decB, int n, float* __restrict__ prob) {
    const int warps = blockDim.x >> 5;
    const int lane = threadIdx.x & 31;
    for (int b = blockIdx.x * warps + (threadIdx.x >> 5); b < n; b += gridDim.x * warps) {
        const float* h = state + (size_t)b * VAD_STATE;
        float s = 0.f;
        for (int k = lane; k < VAD_HIDDEN; k += 32) {
            const float v = h[k];
            s += decW[k] * (v > 0.f ? v : 0.f);
        }
        for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
        if (lane == 0) prob[b] = vad_sigmoid(s + decB);
    }
}

// Device-resident sessions (SileroVadCuda.stepResident): each session owns a slot holding its 64 context samples
// (slotCtx [capacity][64]) and its (h, c) (slotState [capacity][256]); a step uploads only the new 512-sample chunks.
// Gather: window row r = slotCtx[slots[r]] ++ chunks[r], state row r = slotState[slots[r]] (then the usual sequence).
__global__ void __launch_bounds__(256) vad_slot_gather(const int* __restrict__ slots, const float* __restrict__ chunks,
                                                       const float* __restrict__ slotCtx, const float* __restrict__ slotState,
                                                       int n, float* __restrict__ windows, float* __restrict__ state) {
    const int per = VAD_WINDOW + VAD_STATE;
    const size_t total = (size_t)n * per;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        const size_t r = i / per;
        const int k = (int)(i % per);
        const size_t slot = (size_t)slots[r];
        if (k < VAD_WINDOW - 512) {
            windows[r * VAD_WINDOW + k] = slotCtx[slot * (VAD_WINDOW - 512) + k];
        } else if (k < VAD_WINDOW) {
            windows[r * VAD_WINDOW + k] = chunks[r * 512 + (k - (VAD_WINDOW - 512))];
        } else {
            state[r * VAD_STATE + (k - VAD_WINDOW)] = slotState[slot * VAD_STATE + (k - VAD_WINDOW)];
        }
    }
}

// Scatter after the step: slotCtx[slots[r]] = the last 64 samples of chunks[r], slotState[slots[r]] = state row r.
__global__ void __launch_bounds__(256) vad_slot_scatter(const int* __restrict__ slots, const float* __restrict__ chunks,
                                                        const float* __restrict__ state, int n, float* __restrict__ slotCtx,
                                                        float* __restrict__ slotState) {
    const int ctx = VAD_WINDOW - 512;
    const int per = ctx + VAD_STATE;
    const size_t total = (size_t)n * per;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        const size_t r = i / per;
        const int k = (int)(i % per);
        const size_t slot = (size_t)slots[r];
        if (k < ctx) {
            slotCtx[slot * ctx + k] = chunks[r * 512 + (512 - ctx) + k];
        } else {
            slotState[slot * VAD_STATE + (k - ctx)] = state[r * VAD_STATE + (k - ctx)];
        }
    }
}

// A session's record [h c | context] (320 floats) to or from its slot: toSlots != 0 writes records into the slots
// (restore from Flink state), else reads them (for a checkpoint).
__global__ void __launch_bounds__(256) vad_slot_records(const int* __restrict__ slots, int n, int toSlots,
                                                        float* __restrict__ records, float* __restrict__ slotCtx,
                                                        float* __restrict__ slotState) {
    const int ctx = VAD_WINDOW - 512;
    const int per = VAD_STATE + ctx;
    const size_t total = (size_t)n * per;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        const size_t r = i / per;
        const int k = (int)(i % per);
        const size_t slot = (size_t)slots[r];
        float* dev = k < VAD_STATE ? slotState + slot * VAD_STATE + k : slotCtx + slot * ctx + (k - VAD_STATE);
        if (toSlots) {
            *dev = records[i];
        } else {
            records[i] = *dev;
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// BlazeFace front 128x128 (io.omnistream.gpu.encoders.face.BlazeFaceTwin). Activations NHWC, i.e. row-major
// [n*H*W][C], so the 1x1 convolutions are GEMMs over all frames' pixels.
// ---------------------------------------------------------------------------------------------------------------

// im2col of the 5x5 stride-2 stem (padding 1 before, 2 after) on NHWC [n][128][128][3]:
// X[(b, y, x)][(c*5 + ky)*5 + kx], the column order of the ONNX weight [24][3][5][5].
__global__ void __launch_bounds__(256) bf_stem_im2col(const float* __restrict__ img, int n, float* __restrict__ X) {
    const size_t total = (size_t)n * 64 * 64 * 75;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        const int col = (int)(i % 75);
        const size_t row = i / 75;
        const int x = (int)(row % 64);
        const int y = (int)((row / 64) % 64);
        const size_t b = row / (64 * 64);
        const int c = col / 25;
        const int ky = (col / 5) % 5;
        const int kx = col % 5;
        const int iy = 2 * y - 1 + ky;
        const int ix = 2 * x - 1 + kx;
        X[i] = (iy >= 0 && iy < 128 && ix >= 0 && ix < 128) ? img[((b * 128 + iy) * 128 + ix) * 3 + c] : 0.f;
    }
}

// 3x3 depthwise convolution, no bias: stride 1 with padding 1, or stride 2 with padding 0 before / 1 after.
__global__ void __launch_bounds__(256) bf_depthwise(const float* __restrict__ in, int n, int H, int C, int stride,
                                                    const float* __restrict__ w, float* __restrict__ out) {
    const int Ho = stride == 1 ? H : H / 2;
    const int before = stride == 1 ? 1 : 0;
    const size_t total = (size_t)n * Ho * Ho * C;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        const int c = (int)(i % C);
        const size_t pix = i / C;
        const int x = (int)(pix % Ho);
        const int y = (int)((pix / Ho) % Ho);
        const size_t b = pix / ((size_t)Ho * Ho);
        float s = 0.f;
        for (int ky = 0; ky < 3; ky++) {
            const int iy = y * stride - before + ky;
            if (iy < 0 || iy >= H) continue;
            for (int kx = 0; kx < 3; kx++) {
                const int ix = x * stride - before + kx;
                if (ix < 0 || ix >= H) continue;
                s += w[c * 9 + ky * 3 + kx] * in[((b * H + iy) * H + ix) * C + c];
            }
        }
        out[i] = s;
    }
}

// out = ReLU(Y + bias + shortcut): shortcut = block input x [n][H][H][Cin] (2x2 max-pooled when stride 2), zero in
// the channels the block adds (Cin <= c < Cout).
__global__ void __launch_bounds__(256) bf_residual(const float* __restrict__ Y, const float* __restrict__ bias,
                                                   const float* __restrict__ x, int n, int H, int Cin, int Cout, int stride,
                                                   float* __restrict__ out) {
    const int Ho = stride == 1 ? H : H / 2;
    const size_t total = (size_t)n * Ho * Ho * Cout;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        const int c = (int)(i % Cout);
        const size_t pix = i / Cout;
        float sc = 0.f;
        if (c < Cin) {
            if (stride == 1) {
                sc = x[pix * Cin + c];
            } else {
                const int xo = (int)(pix % Ho);
                const int yo = (int)((pix / Ho) % Ho);
                const size_t b = pix / ((size_t)Ho * Ho);
                const float* p = x + ((b * H + 2 * yo) * H + 2 * xo) * Cin + c;
                sc = fmaxf(fmaxf(p[0], p[Cin]), fmaxf(p[(size_t)H * Cin], p[(size_t)H * Cin + Cin]));
            }
        }
        const float v = Y[i] + bias[c] + sc;
        out[i] = v > 0.f ? v : 0.f;
    }
}

// A head's GEMM output Y [n*pix][O] is already in anchor order per frame; add the bias and place each frame's
// block of perFrame values at dst[b*dstStride + dstOffset].
__global__ void __launch_bounds__(256) bf_head(const float* __restrict__ Y, const float* __restrict__ bias, int n,
                                               int perFrame, int O, float* __restrict__ dst, int dstStride, int dstOffset) {
    const size_t total = (size_t)n * perFrame;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        const size_t b = i / perFrame;
        const int j = (int)(i % perFrame);
        dst[b * dstStride + dstOffset + j] = Y[i] + bias[j % O];
    }
}

// ---------------------------------------------------------------------------------------------------------------
// all-MiniLM-L6-v2 (io.omnistream.gpu.encoders.text.MiniLmTwin), packed batches: one row per token of all
// sentences end to end, no padding. The GEMMs (fp16 in, fp32 accumulate and out) run in cuBLAS, attention in
// omni_kernels' gated attention kernel (text->text gate, per-sentence offsets); these kernels do the rest. Row
// kernels use one 128-thread block per row of 384 (3 values per thread).
// ---------------------------------------------------------------------------------------------------------------
#define TXT_D 384
#define TXT_THREADS 128

// Sum over the block (4 warps); sh holds 4 floats. Safe to call repeatedly.
__device__ __forceinline__ float txt_block_sum(float v, float* sh) {
    for (int o = 16; o > 0; o >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, o);
    }
    __syncthreads();
    if ((threadIdx.x & 31) == 0) {
        sh[threadIdx.x >> 5] = v;
    }
    __syncthreads();
    return (sh[0] + sh[1]) + (sh[2] + sh[3]);
}

// v <- LayerNorm(v) * g + b over the row's 384 values (3 per thread at threadIdx.x + k*128), two-pass variance.
__device__ __forceinline__ void txt_layer_norm(float v[3], const float* __restrict__ g, const float* __restrict__ b,
                                               float eps, float* sh) {
    const float mean = txt_block_sum(v[0] + v[1] + v[2], sh) / TXT_D;
    float d0 = v[0] - mean, d1 = v[1] - mean, d2 = v[2] - mean;
    const float var = txt_block_sum(d0 * d0 + d1 * d1 + d2 * d2, sh) / TXT_D;
    const float inv = 1.0f / sqrtf(var + eps);
    for (int k = 0; k < 3; k++) {
        const int i = threadIdx.x + k * TXT_THREADS;
        v[k] = (v[k] - mean) * inv * g[i] + b[i];
    }
}

// x[t] = LN(word[rows[t]] + pos[positions[t]] + type0); also written as fp16 for the next GEMM. Grid: one block per token.
__global__ void __launch_bounds__(TXT_THREADS) text_embed_ln(const int* __restrict__ rows, const int* __restrict__ positions,
        const float* __restrict__ word, const float* __restrict__ pos, const float* __restrict__ type0,
        const float* __restrict__ g, const float* __restrict__ b, float eps, int T, float* __restrict__ x,
        __half* __restrict__ xh) {
    __shared__ float sh[4];
    const int t = blockIdx.x;
    if (t >= T) {
        return;
    }
    const size_t wr = (size_t)rows[t] * TXT_D;
    const size_t pr = (size_t)positions[t] * TXT_D;
    float v[3];
    for (int k = 0; k < 3; k++) {
        const int i = threadIdx.x + k * TXT_THREADS;
        v[k] = (word[wr + i] + type0[i]) + pos[pr + i];
    }
    txt_layer_norm(v, g, b, eps, sh);
    for (int k = 0; k < 3; k++) {
        const size_t o = (size_t)t * TXT_D + threadIdx.x + k * TXT_THREADS;
        x[o] = v[k];
        xh[o] = __float2half_rn(v[k]);
    }
}

// q|k|v for the gated attention kernel, whose heads are 64 wide: y = [3][T][384] fp16 GEMM output (12 heads of 32)
// plus bias [3][384] -> out = [3][T][12][64] fp16 with dims 32..63 of every head zero (q.k and the softmax are
// unchanged; the zero value dims give zero outputs, which meet zero rows of the padded output projection).
__global__ void __launch_bounds__(256) text_qkv_heads(const __half* __restrict__ y, const float* __restrict__ bias, int T,
        __half* __restrict__ out) {
    const int perGroup = T * 768;
    for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < perGroup; r += gridDim.x * blockDim.x) {
        const int t = r / 768;
        const int c = r - t * 768;
        const int d = c & 63;
        const int col = (c >> 6) * 32 + d;
        for (int g = 0; g < 3; g++) {
            out[(size_t)g * perGroup + r] = d < 32
                    ? __float2half_rn(__half2float(y[(size_t)g * T * TXT_D + (size_t)t * TXT_D + col]) + bias[g * TXT_D + col])
                    : __float2half_rn(0.f);
        }
    }
}

// out = fp16(GELU(y + bias)) over [T][1536], y the fp16 GEMM output; exact erf GELU.
__global__ void __launch_bounds__(256) text_bias_gelu_half(const __half* __restrict__ y, const float* __restrict__ bias,
        int total, __half* __restrict__ out) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
        const float v = __half2float(y[i]) + bias[i % 1536];
        out[i] = __float2half_rn(0.5f * v * (1.0f + erff(v * 0.70710678118654752f)));
    }
}

// x[t] = LN(x[t] + y[t] + bias) (residual + LayerNorm), also as fp16. Grid: one block per token.
__global__ void __launch_bounds__(TXT_THREADS) text_bias_residual_ln(const float* __restrict__ y, const float* __restrict__ bias,
        const float* __restrict__ g, const float* __restrict__ b, float eps, int T, float* __restrict__ x,
        __half* __restrict__ xh) {
    __shared__ float sh[4];
    const int t = blockIdx.x;
    if (t >= T) {
        return;
    }
    float v[3];
    for (int k = 0; k < 3; k++) {
        const int i = threadIdx.x + k * TXT_THREADS;
        const size_t o = (size_t)t * TXT_D + i;
        v[k] = x[o] + (y[o] + bias[i]);
    }
    txt_layer_norm(v, g, b, eps, sh);
    for (int k = 0; k < 3; k++) {
        const size_t o = (size_t)t * TXT_D + threadIdx.x + k * TXT_THREADS;
        x[o] = v[k];
        xh[o] = __float2half_rn(v[k]);
    }
}

// out[s] = normalize(mean of x over sentence s's tokens cu[s] .. cu[s+1]). Grid: one block per sentence.
__global__ void __launch_bounds__(TXT_THREADS) text_mean_pool(const float* __restrict__ x, const int* __restrict__ cu, int n,
        float* __restrict__ out) {
    __shared__ float sh[4];
    const int s = blockIdx.x;
    if (s >= n) {
        return;
    }
    const int t0 = cu[s], t1 = cu[s + 1];
    float m[3] = {0.f, 0.f, 0.f};
    for (int t = t0; t < t1; t++) {
        for (int k = 0; k < 3; k++) {
            m[k] += x[(size_t)t * TXT_D + threadIdx.x + k * TXT_THREADS];
        }
    }
    const float cnt = (float)(t1 - t0);
    for (int k = 0; k < 3; k++) {
        m[k] /= cnt;
    }
    const float ss = txt_block_sum(m[0] * m[0] + m[1] * m[1] + m[2] * m[2], sh);
    const float inv = 1.0f / fmaxf(sqrtf(ss), 1e-12f);
    for (int k = 0; k < 3; k++) {
        out[(size_t)s * TXT_D + threadIdx.x + k * TXT_THREADS] = m[k] * inv;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// BlazeFace fed from camera frames on the device (io.omnistream.gpu.image.I420LetterboxTwin is the specification).
// Every float operation below is an explicitly rounded intrinsic (__fmul_rn, __fadd_rn, ...), in the twin's order,
// so that nvcc cannot contract it into an FMA: the kernel's output equals the Java twin's bit for bit.
// ---------------------------------------------------------------------------------------------------------------
#define LB_META 10
#define LB_SIZE 128

// BT.601 limited range (the omni_i420_resize constants), clamped to [0, 255] and rounded half up to an integer.
__device__ __forceinline__ float lb_round255(float x) {
    return floorf(__fadd_rn(fminf(fmaxf(x, 0.f), 255.f), 0.5f));
}

// One element of the BlazeFace input NHWC [n][128][128][3] in [-1, 1] (meta per frame: byte offset, w, h, rw, rh,
// padX, padY, bits of sx, sy, 1/(sx*sy)): the frame area-resized (pixel coverage, OpenCV INTER_AREA when shrinking)
// to rw x rh, centred on black, from the 8-bit RGB values that px(x, y, r, g, b) gives for source pixel (x, y).
// Shared by bf_i420_letterbox and bf_rgb_letterbox as io.omnistream.gpu.image.LetterboxSampler is by their twins.
// (C++ linkage: a template cannot have C linkage; only the kernels below are looked up by name.)
extern "C++" {
template <class Pixel>
__device__ __forceinline__ void lb_element(const int* __restrict__ m, int pix, float norm, const Pixel& px,
                                           float* __restrict__ o) {
    const int w = m[1], h = m[2], rw = m[3], rh = m[4];
    const int dx = pix % LB_SIZE - m[5];
    const int dy = pix / LB_SIZE - m[6];
    if (dx < 0 || dx >= rw || dy < 0 || dy >= rh) {
        o[0] = -1.f;
        o[1] = -1.f;
        o[2] = -1.f;
        return;
    }
    const float sx = __int_as_float(m[7]), sy = __int_as_float(m[8]), inv = __int_as_float(m[9]);
    const float x0 = __fmul_rn((float)dx, sx);
    const float x1 = fminf(__fmul_rn((float)(dx + 1), sx), (float)w);
    const float y0 = __fmul_rn((float)dy, sy);
    const float y1 = fminf(__fmul_rn((float)(dy + 1), sy), (float)h);
    const int ix0 = (int)x0, ix1 = min(w, (int)ceilf(x1));
    const int iy0 = (int)y0, iy1 = min(h, (int)ceilf(y1));
    float r = 0.f, g = 0.f, b = 0.f;
    for (int y = iy0; y < iy1; y++) {
        const float wy = __fsub_rn(fminf(y1, (float)(y + 1)), fmaxf(y0, (float)y));
        float rr = 0.f, gg = 0.f, bb = 0.f;
        for (int x = ix0; x < ix1; x++) {
            const float wx = __fsub_rn(fminf(x1, (float)(x + 1)), fmaxf(x0, (float)x));
            float pr, pg, pb;
            px(x, y, pr, pg, pb);
            rr = __fadd_rn(rr, __fmul_rn(wx, pr));
            gg = __fadd_rn(gg, __fmul_rn(wx, pg));
            bb = __fadd_rn(bb, __fmul_rn(wx, pb));
        }
        r = __fadd_rn(r, __fmul_rn(wy, rr));
        g = __fadd_rn(g, __fmul_rn(wy, gg));
        b = __fadd_rn(b, __fmul_rn(wy, bb));
    }
    o[0] = __fsub_rn(__fmul_rn(__fmul_rn(r, inv), norm), 1.f);
    o[1] = __fsub_rn(__fmul_rn(__fmul_rn(g, inv), norm), 1.f);
    o[2] = __fsub_rn(__fmul_rn(__fmul_rn(b, inv), norm), 1.f);
}

// An I420 frame's pixel: RGB converted per source pixel (chroma of its 2x2 cell).
struct LbI420Pixel {
    const uint8_t* yp;
    const uint8_t* up;
    const uint8_t* vp;
    int w, cw;
    __device__ __forceinline__ void operator()(int x, int y, float& pr, float& pg, float& pb) const {
        const float yy = __fmul_rn(1.164f, __fsub_rn((float)yp[(size_t)y * w + x], 16.f));
        const float u = __fsub_rn((float)up[(size_t)(y >> 1) * cw + (x >> 1)], 128.f);
        const float v = __fsub_rn((float)vp[(size_t)(y >> 1) * cw + (x >> 1)], 128.f);
        pr = lb_round255(__fadd_rn(yy, __fmul_rn(1.596f, v)));
        pg = lb_round255(__fsub_rn(__fsub_rn(yy, __fmul_rn(0.813f, v)), __fmul_rn(0.391f, u)));
        pb = lb_round255(__fadd_rn(yy, __fmul_rn(2.018f, u)));
    }
};

// An interleaved 8-bit RGB picture's pixel (pitch 3*w), used as it is.
struct LbRgbPixel {
    const uint8_t* p;
    int w;
    __device__ __forceinline__ void operator()(int x, int y, float& pr, float& pg, float& pb) const {
        const uint8_t* q = p + ((size_t)y * w + x) * 3;
        pr = (float)q[0];
        pg = (float)q[1];
        pb = (float)q[2];
    }
};
}  // extern "C++"

// I420 frames of any sizes (meta as in lb_element, the offset being the frame's byte offset in src) -> BlazeFace
// input. io.omnistream.gpu.image.I420LetterboxTwin is the specification, equal bit for bit.
__global__ void __launch_bounds__(256) bf_i420_letterbox(const uint8_t* __restrict__ src, const int* __restrict__ meta,
                                                         int n, float norm, float* __restrict__ out) {
    const size_t total = (size_t)n * LB_SIZE * LB_SIZE;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        const int* m = meta + (i / (LB_SIZE * LB_SIZE)) * LB_META;
        const int w = m[1], h = m[2], cw = (w + 1) / 2, ch = (h + 1) / 2;
        LbI420Pixel px;
        px.yp = src + (unsigned)m[0];
        px.up = px.yp + (size_t)w * h;
        px.vp = px.up + (size_t)cw * ch;
        px.w = w;
        px.cw = cw;
        lb_element(m, (int)(i % (LB_SIZE * LB_SIZE)), norm, px, out + i * 3);
    }
}

// Camera pictures decoded from JPEG on the device by nvJPEG (interleaved RGB, pitch 3*w; meta as above, the offset
// being the picture's byte offset in src) -> the same BlazeFace input without the colour conversion (the decoder's
// 8-bit RGB is used as it is). io.omnistream.gpu.image.RgbLetterboxTwin is the specification, equal bit for bit.
__global__ void __launch_bounds__(256) bf_rgb_letterbox(const uint8_t* __restrict__ src, const int* __restrict__ meta,
                                                        int n, float norm, float* __restrict__ out) {
    const size_t total = (size_t)n * LB_SIZE * LB_SIZE;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        const int* m = meta + (i / (LB_SIZE * LB_SIZE)) * LB_META;
        LbRgbPixel px;
        px.p = src + (unsigned)m[0];
        px.w = m[1];
        lb_element(m, (int)(i % (LB_SIZE * LB_SIZE)), norm, px, out + i * 3);
    }
}

// Candidate detections, one warp per frame: the anchors whose logit >= threshold (set a little below the decoder's
// minimum score, which the host applies exactly), in anchor order, as rows {anchor, logit, 16 regressions}; at
// most cap rows per frame, counts[f] = the true number (the host fetches the whole frame when it exceeds cap).
__global__ void __launch_bounds__(256) bf_candidates(const float* __restrict__ scores, const float* __restrict__ boxes, int n,
                                                     float threshold, int cap, int* __restrict__ counts,
                                                     float* __restrict__ cand) {
    const int lane = threadIdx.x & 31;
    for (size_t f = (blockIdx.x * (size_t)blockDim.x + threadIdx.x) >> 5; f < (size_t)n;
         f += ((size_t)gridDim.x * blockDim.x) >> 5) {
        const float* s = scores + f * 896;
        const float* bx = boxes + f * 896 * 16;
        float* c = cand + f * (size_t)cap * 18;
        int count = 0;
        for (int base = 0; base < 896; base += 32) {
            const int a = base + lane;
            const float l = s[a];
            const bool keep = l >= threshold;
            const unsigned mask = __ballot_sync(0xffffffffu, keep);
            if (keep) {
                const int slot = count + __popc(mask & ((1u << lane) - 1u));
                if (slot < cap) {
                    float* row = c + (size_t)slot * 18;
                    row[0] = (float)a;
                    row[1] = l;
                    for (int k = 0; k < 16; k++) row[2 + k] = bx[a * 16 + k];
                }
            }
            count += __popc(mask);
        }
        if (lane == 0) counts[f] = count;
    }
}

}  // extern "C"

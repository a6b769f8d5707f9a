#!/usr/bin/env python3
"""PyTorch side of the GPU benchmarks (gpu-kernels/BENCHMARKS.md): the same workloads as the Java
KernelBenchmark, on the same GPU, timed with CUDA events on device-resident data. Writes $OUT/torch_bench.json.

  usage: OUT=/some/dir python3 load-tests/gpu/bench_torch.py
  BENCH_PARTS=attention runs only the named parts (logmel, attention, int8); BENCH_FLEX=1 adds FlexAttention.
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.environ.get("OUT", "/tmp")
dev = "cuda"
res = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0)}


def time_ms(fn, iters):
    for _ in range(10):
        fn()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    for _ in range(iters):
        fn()
    e.record()
    torch.cuda.synchronize()
    return s.elapsed_time(e) / iters


def logmel():
    try:
        import torchaudio
        res["torchaudio"] = torchaudio.__version__
    except ImportError:
        res["torchaudio"] = None
        return
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=16000, n_fft=400, win_length=400, hop_length=160, f_min=0.0, f_max=8000.0, n_mels=128,
        window_fn=torch.hann_window, power=2.0, center=False, norm="slaney", mel_scale="slaney").to(dev)
    # 256 sessions x 40 ms: 640 new samples + 240-sample tail = 880 samples = 4 frames each
    x = torch.randn(256, 880, device=dev) * 0.1

    def run():
        return torch.log10(torch.clamp(mel(x), min=1e-10))

    assert run().shape == (256, 128, 4)
    res["logmel_256x40ms_torchaudio_ms"] = time_ms(run, 500)
    g = torch.cuda.CUDAGraph()
    static = None
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            run()
    torch.cuda.current_stream().wait_stream(s)
    with torch.cuda.graph(g):
        static = run()
    res["logmel_256x40ms_torchaudio_cudagraph_ms"] = time_ms(g.replay, 500)


def attention():
    B, H, L, D, seg = 64, 8, 1024, 64, 256
    q, k, v = (torch.rand(B, H, L, D, device=dev, dtype=torch.float16) * 2 - 1 for _ in range(3))
    ids = torch.arange(L, device=dev) // seg
    mask = (ids[:, None] == ids[None, :])  # diagonal modality gates: 25 % of the pairs
    flops_dense = 4.0 * B * H * L * L * D
    res["attn_sdpa_masked25_ms"] = time_ms(lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), 30)
    res["attn_sdpa_dense_ms"] = time_ms(lambda: F.scaled_dot_product_attention(q, k, v), 30)
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
        with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
            res["attn_sdpa_dense_flash_ms"] = time_ms(lambda: F.scaled_dot_product_attention(q, k, v), 30)
        with sdpa_kernel(SDPBackend.EFFICIENT_ATTENTION):
            res["attn_sdpa_masked25_efficient_ms"] = time_ms(
                lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), 30)
        try:
            with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
                res["attn_sdpa_dense_cudnn_ms"] = time_ms(lambda: F.scaled_dot_product_attention(q, k, v), 30)
        except RuntimeError as e:
            res["attn_sdpa_dense_cudnn_error"] = str(e)[:200]
    except ImportError:
        pass
    res["attn_sdpa_dense_tflops"] = flops_dense / (res["attn_sdpa_dense_ms"] * 1e-3) / 1e12
    if os.environ.get("BENCH_FLEX") == "1":  # block-sparse reference: FlexAttention with a block mask (compiles)
        try:
            from torch.nn.attention.flex_attention import create_block_mask, flex_attention
            flex = torch.compile(flex_attention)

            def same_segment(b, h, qi, ki):
                return (qi // seg) == (ki // seg)

            bm = create_block_mask(same_segment, None, None, L, L, device=dev)
            flex(q, k, v, block_mask=bm)
            res["attn_flex_sparse25_ms"] = time_ms(lambda: flex(q, k, v, block_mask=bm), 30)
            flex(q, k, v)
            res["attn_flex_dense_ms"] = time_ms(lambda: flex(q, k, v), 30)
        except Exception as e:
            res["attn_flex_error"] = repr(e)[:300]
    res["attn_sdpa_masked25_tflops_counting_full"] = flops_dense / (res["attn_sdpa_masked25_ms"] * 1e-3) / 1e12


def int8():
    rows, dim = 262144, 256
    x = torch.randn(rows, dim, device=dev)

    def quant():  # the same definition as Int8Quantizer: q = rint(x * (127 / amax)), scale = amax / 127
        amax = x.abs().amax(dim=-1, keepdim=True)
        s = amax / 127.0
        qq = torch.where(amax > 0, torch.round(x * (127.0 / amax)), torch.zeros_like(x)).clamp(-127, 127).to(torch.int8)
        return qq, s

    nbytes = rows * dim * 5 + rows * 4
    res["int8_quant_torch_ms"] = time_ms(quant, 100)
    res["int8_quant_torch_bandwidth_TBps"] = nbytes / (res["int8_quant_torch_ms"] * 1e-3) / 1e12
    qq, s = quant()
    res["int8_dequant_torch_ms"] = time_ms(lambda: qq.float() * s, 100)
    try:
        cq = torch.compile(quant)
        cq()
        res["int8_quant_torch_compile_ms"] = time_ms(cq, 100)
    except Exception as e:  # compile needs a C compiler / triton; optional
        res["int8_quant_torch_compile_error"] = str(e)[:200]
    copy = torch.empty_like(x)
    res["memcpy_d2d_256MiB_TBps"] = 2 * x.numel() * 4 / (time_ms(lambda: copy.copy_(x), 50) * 1e-3) / 1e12


parts = os.environ.get("BENCH_PARTS", "logmel,attention,int8").split(",")
for part in (logmel, attention, int8):
    if part.__name__ not in parts:
        continue
    try:
        part()
    except Exception as e:
        res[part.__name__ + "_error"] = repr(e)[:300]
os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "torch_bench.json"), "w") as f:
    json.dump(res, f, indent=2)
print(json.dumps(res, indent=2))

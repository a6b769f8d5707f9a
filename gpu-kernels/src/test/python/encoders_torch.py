#!/usr/bin/env python3
"""PyTorch references for the GPU encoders (Silero VAD, BlazeFace), built from the same ONNX weights.

The Java benchmark (io.omnistream.gpu.bench.EncoderBenchmark with -Dbench.export=DIR) writes the weights exactly as
our ONNX reader returns them (raw little-endian float32), a 64-session test batch and the twin's and the GPU
encoder's outputs. This script rebuilds Silero VAD v5 (16 kHz) in PyTorch eager from those weights (torch conv1d,
LSTMCell), checks it against the twin's and the GPU encoder's outputs, and times one step per batch size on the GPU
(CUDA events, mean of 100 steps after 10 warm-up steps), as the issue's PyTorch-eager reference.

  usage: python3 encoders_torch.py DIR OUT.json
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F


def load(d, name, shape):
    return torch.from_numpy(np.fromfile(os.path.join(d, name), dtype="<f4").reshape(shape).copy())


def main():
    d, out = sys.argv[1], sys.argv[2]
    dev = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    basis = load(d, "basis.f32", (258, 1, 256)).to(dev)
    cin, cout, stride = [129, 128, 64, 64], [128, 64, 64, 128], [1, 2, 2, 1]
    convs = [(load(d, f"conv{l}_w.f32", (cout[l], cin[l], 3)).to(dev), load(d, f"conv{l}_b.f32", (cout[l],)).to(dev)) for l in range(4)]
    cell = torch.nn.LSTMCell(128, 128).to(dev)
    with torch.no_grad():
        cell.weight_ih.copy_(load(d, "w_ih.f32", (512, 128)))
        cell.weight_hh.copy_(load(d, "w_hh.f32", (512, 128)))
        cell.bias_ih.copy_(load(d, "b_ih.f32", (512,)))
        cell.bias_hh.copy_(load(d, "b_hh.f32", (512,)))
    dec_w = load(d, "dec_w.f32", (1, 128, 1)).to(dev)
    dec_b = load(d, "dec_b.f32", (1,)).to(dev)

    def step(x, h, c):
        x = F.pad(x.unsqueeze(1), (0, 64), mode="reflect").squeeze(1)
        s = F.conv1d(x.unsqueeze(1), basis, stride=128)
        m = torch.sqrt(s[:, :129] ** 2 + s[:, 129:] ** 2)
        for l in range(4):
            m = F.relu(F.conv1d(m, convs[l][0], convs[l][1], stride=stride[l], padding=1))
        h, c = cell(m.squeeze(-1), (h, c))
        p = torch.sigmoid(F.conv1d(F.relu(h).unsqueeze(-1), dec_w, dec_b)).squeeze(-1).squeeze(-1)
        return p, h, c

    res = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__}
    n = 64
    x = load(d, "test_windows.f32", (n, 576)).to(dev)
    st = load(d, "test_state.f32", (n, 2, 128)).to(dev)
    with torch.no_grad():
        p, h, c = step(x, st[:, 0].contiguous(), st[:, 1].contiguous())
    p = p.cpu().numpy()
    hc = torch.stack([h, c], 1).cpu().numpy().reshape(-1)
    for who in ("twin", "gpu"):
        f = os.path.join(d, f"{who}_prob.f32")
        if os.path.exists(f):
            res[f"torch_vs_{who}_max_abs_prob"] = float(np.abs(p - np.fromfile(f, dtype="<f4")).max())
            res[f"torch_vs_{who}_max_abs_state"] = float(np.abs(hc - np.fromfile(os.path.join(d, f"{who}_state.f32"), dtype="<f4")).max())
    for n in (64, 256, 1024, 5000, 10000):
        x = torch.rand(n, 576, device=dev) * 0.6 - 0.3
        h = torch.zeros(n, 128, device=dev)
        c = torch.zeros(n, 128, device=dev)
        with torch.no_grad():
            for _ in range(10):
                step(x, h, c)
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            for _ in range(100):
                step(x, h, c)
            b.record()
            torch.cuda.synchronize()
        res[f"vad_torch_eager_ms_n{n}"] = a.elapsed_time(b) / 100
    blazeface(d, dev, res)
    with open(out, "w") as fo:
        json.dump(res, fo, indent=2)
    print(json.dumps(res, indent=2))


BLOCKS = [(24, 24, 1), (24, 28, 1), (28, 32, 2), (32, 36, 1), (36, 42, 1), (42, 48, 2), (48, 56, 1), (56, 64, 1),
          (64, 72, 1), (72, 80, 1), (80, 88, 1), (88, 96, 2), (96, 96, 1), (96, 96, 1), (96, 96, 1), (96, 96, 1)]


def blazeface(d, dev, res):
    """BlazeFace front in PyTorch eager (NCHW, cuDNN without TF32) from the exported weights."""
    stem_w = load(d, "bf_stem_w.f32", (24, 3, 5, 5)).to(dev)
    stem_b = load(d, "bf_stem_b.f32", (24,)).to(dev)
    dw = [load(d, f"bf_dw{b}.f32", (ci, 1, 3, 3)).to(dev) for b, (ci, co, s) in enumerate(BLOCKS)]
    pw = [load(d, f"bf_pw{b}.f32", (co, ci, 1, 1)).to(dev) for b, (ci, co, s) in enumerate(BLOCKS)]
    pb = [load(d, f"bf_pb{b}.f32", (co,)).to(dev) for b, (ci, co, s) in enumerate(BLOCKS)]
    hs = [(2, 88), (32, 88), (6, 96), (96, 96)]
    hw = [load(d, f"bf_hw{h}.f32", (o, i, 1, 1)).to(dev) for h, (o, i) in enumerate(hs)]
    hb = [load(d, f"bf_hb{h}.f32", (o,)).to(dev) for h, (o, i) in enumerate(hs)]

    def net(img):  # img NHWC
        x = img.permute(0, 3, 1, 2)
        x = F.relu(F.conv2d(F.pad(x, (1, 2, 1, 2)), stem_w, stem_b, stride=2))
        m16 = None
        for b, (ci, co, s) in enumerate(BLOCKS):
            if s == 1:
                y = F.conv2d(x, dw[b], padding=1, groups=ci)
                sc = x
            else:
                y = F.conv2d(F.pad(x, (0, 1, 0, 1)), dw[b], stride=2, groups=ci)
                sc = F.max_pool2d(x, 2)
            y = F.conv2d(y, pw[b], pb[b])
            if co > ci:
                sc = F.pad(sc, (0, 0, 0, 0, 0, co - ci))
            x = F.relu(y + sc)
            if b == 10:
                m16 = x
        n = img.shape[0]
        def head(m, h, per):
            return F.conv2d(m, hw[h], hb[h]).permute(0, 2, 3, 1).reshape(n, -1, per)
        scores = torch.cat([head(m16, 0, 1), head(x, 2, 1)], 1).reshape(n, -1)
        boxes = torch.cat([head(m16, 1, 16), head(x, 3, 16)], 1).reshape(n, -1)
        return scores, boxes

    img = load(d, "bf_test_images.f32", (4, 128, 128, 3)).to(dev)
    with torch.no_grad():
        s, b = net(img)
    res["bf_torch_vs_twin_max_abs_scores"] = float(np.abs(s.cpu().numpy().reshape(-1) - np.fromfile(os.path.join(d, "bf_twin_scores.f32"), dtype="<f4")).max())
    res["bf_torch_vs_twin_max_abs_boxes"] = float(np.abs(b.cpu().numpy().reshape(-1) - np.fromfile(os.path.join(d, "bf_twin_boxes.f32"), dtype="<f4")).max())
    for n in (1, 16, 64, 256):
        img = torch.rand(n, 128, 128, 3, device=dev) * 2 - 1
        with torch.no_grad():
            for _ in range(5):
                net(img)
            a, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            for _ in range(20):
                net(img)
            e.record()
            torch.cuda.synchronize()
        res[f"blazeface_torch_eager_ms_n{n}"] = a.elapsed_time(e) / 20


if __name__ == "__main__":
    main()

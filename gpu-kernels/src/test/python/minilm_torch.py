#!/usr/bin/env python3
"""PyTorch eager reference for the MiniLM text encoder (gpu-kernels TextEncoderBenchmark), on the same GPU and from
the same weights: the compact export of all-minilm-l6-v2.onnx written by MiniLmOracleExport (fp16 matrices, fp32
vectors, the vocabulary rows of the customer sentences). The model is built the way HuggingFace's BertModel runs it
in eager mode with model.half(): separate q/k/v Linear layers, 12 heads of 32, scaled_dot_product_attention with the
padding mask, exact GELU, LayerNorm eps 1e-12; batches padded to their longest sentence; then sentence-transformers'
mean pooling over the mask and L2 normalisation. Batches of 64/256/1024 sentences in the Java benchmark's order.

  usage: python3 minilm_torch.py MINILM_DIR OUT.json [DIR_WITH_gpu-embeddings.f32]
"""
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

D, H, HD, L = 384, 12, 32, 6


def read_compact(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"OMNIMLM1", "not a compact MiniLM file"
    off = 8
    (count,) = struct.unpack_from("<i", data, off)
    off += 4
    t = {}
    for _ in range(count):
        (nlen,) = struct.unpack_from("<i", data, off)
        off += 4
        name = data[off:off + nlen].decode()
        off += nlen
        dtype, rank = struct.unpack_from("<ii", data, off)
        off += 8
        dims = struct.unpack_from("<%di" % rank, data, off)
        off += 4 * rank
        n = int(np.prod(dims)) if rank else 1
        np_t = {0: np.float32, 1: np.float16, 2: np.int32}[dtype]
        a = np.frombuffer(data, dtype=np_t, count=n, offset=off).reshape(dims)
        off += n * np.dtype(np_t).itemsize
        t[name] = a
    return t


def read_tokens(path):
    a = np.fromfile(path, dtype="<i4")
    n = a[0]
    out, at = [], 1
    for _ in range(n):
        ln = a[at]
        out.append(a[at + 1:at + 1 + ln].tolist())
        at += 1 + ln
    return out


class MiniLm(torch.nn.Module):
    def __init__(self, t, dev):
        super().__init__()
        h = lambda name: torch.tensor(t[name].astype(np.float32)).to(dev).half()
        self.word = h("embeddings.word_embeddings.weight")
        self.pos = h("embeddings.position_embeddings.weight")
        self.type0 = h("embeddings.token_type_embeddings.weight")[0]
        self.eg, self.eb = h("embeddings.LayerNorm.weight"), h("embeddings.LayerNorm.bias")
        self.eps = float(t["layer_norm.eps"][0])
        self.layers = []
        for l in range(L):
            p = "encoder.layer.%d." % l
            lin = lambda n: (h(p + n + ".weight").t().contiguous(), h(p + n + ".bias"))  # nn.Linear layout [out][in]
            self.layers.append(dict(
                q=lin("attention.self.query"), k=lin("attention.self.key"), v=lin("attention.self.value"),
                o=lin("attention.output.dense"), i=lin("intermediate.dense"), f=lin("output.dense"),
                ln1=(h(p + "attention.output.LayerNorm.weight"), h(p + "attention.output.LayerNorm.bias")),
                ln2=(h(p + "output.LayerNorm.weight"), h(p + "output.LayerNorm.bias"))))

    @torch.no_grad()
    def forward(self, rows, mask):
        B, T = rows.shape
        x = self.word[rows] + self.pos[:T] + self.type0
        x = F.layer_norm(x, (D,), self.eg, self.eb, self.eps)
        am = mask[:, None, None, :]
        for ly in self.layers:
            q = F.linear(x, *ly["q"]).view(B, T, H, HD).transpose(1, 2)
            k = F.linear(x, *ly["k"]).view(B, T, H, HD).transpose(1, 2)
            v = F.linear(x, *ly["v"]).view(B, T, H, HD).transpose(1, 2)
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=am).transpose(1, 2).reshape(B, T, D)
            x = F.layer_norm(x + F.linear(a, *ly["o"]), (D,), *ly["ln1"], self.eps)
            x = F.layer_norm(x + F.linear(F.gelu(F.linear(x, *ly["i"])), *ly["f"]), (D,), *ly["ln2"], self.eps)
        m = mask.unsqueeze(-1).to(x.dtype)
        pooled = (x * m).sum(1).float() / m.sum(1).float().clamp(min=1e-9)
        return F.normalize(pooled, p=2, dim=1)


def pad(batch, row_of):
    T = max(len(s) for s in batch)
    rows = np.zeros((len(batch), T), dtype=np.int64)
    mask = np.zeros((len(batch), T), dtype=bool)
    for i, s in enumerate(batch):
        rows[i, :len(s)] = [row_of[x] for x in s]
        mask[i, :len(s)] = True
    return rows, mask


def compare(a, b):
    cos = (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1))
    return float(cos.min()), float(np.abs(a - b).max())


def main():
    d, out = sys.argv[1], sys.argv[2]
    dev = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = False
    t = read_compact(os.path.join(d, "weights-f16.bin"))
    row_of = {int(v): i for i, v in enumerate(t["vocab.ids"])}
    pool = read_tokens(os.path.join(d, "tokens.bin"))
    model = MiniLm(t, dev)
    res = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0), "precision": "fp16 weights and activations",
           "attention": "F.scaled_dot_product_attention with padding mask"}

    rows, mask = pad(pool, row_of)
    emb = model(torch.tensor(rows, device=dev), torch.tensor(mask, device=dev)).cpu().numpy()
    ort = np.fromfile(os.path.join(d, "ort-embeddings.f32"), dtype="<f4").reshape(-1, D)
    res["vs_ort_min_cosine"], res["vs_ort_max_abs"] = compare(emb, ort)
    if len(sys.argv) > 3:
        ours = np.fromfile(os.path.join(sys.argv[3], "gpu-embeddings.f32"), dtype="<f4").reshape(-1, D)
        res["vs_ours_min_cosine"], res["vs_ours_max_abs"] = compare(emb, ours)
        res["ours_vs_ort_min_cosine"], res["ours_vs_ort_max_abs"] = compare(ours, ort)

    warm, runs = 20, 200
    for n in (64, 256, 1024):
        batch = [pool[(i * 7 + 3) % len(pool)] for i in range(n)]
        r, m = pad(batch, row_of)
        res["padded_tokens_n%d" % n] = int(r.size)
        res["tokens_n%d" % n] = int(m.sum())
        dr, dm = torch.tensor(r, device=dev), torch.tensor(m, device=dev)
        ev0, ev1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        gpu_ms = []
        for i in range(warm + runs):
            ev0.record()
            model(dr, dm)
            ev1.record()
            ev1.synchronize()
            if i >= warm:
                gpu_ms.append(ev0.elapsed_time(ev1))
        e2e_ms = []
        for i in range(warm + runs):
            t0 = time.perf_counter()
            o = model(torch.from_numpy(r).to(dev, non_blocking=False), torch.from_numpy(m).to(dev)).cpu()
            if i >= warm:
                e2e_ms.append((time.perf_counter() - t0) * 1e3)
        for key, v in (("gpu_ms", gpu_ms), ("e2e_ms", e2e_ms)):
            res["%s_n%d_p50" % (key, n)] = round(float(np.percentile(v, 50)), 4)
            res["%s_n%d_p99" % (key, n)] = round(float(np.percentile(v, 99)), 4)
            res["%s_n%d_mean" % (key, n)] = round(float(np.mean(v)), 4)
        res["e2e_sentences_per_s_n%d" % n] = round(n / (np.percentile(e2e_ms, 50) / 1e3))
        res["gpu_sentences_per_s_n%d" % n] = round(n / (np.mean(gpu_ms) / 1e3))
    with open(out, "w") as f:
        json.dump(res, f, indent=2)
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()

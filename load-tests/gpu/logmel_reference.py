#!/usr/bin/env python3
"""Independent reference values for the project's log-mel definition (gpu-kernels io.omnistream.gpu.logmel.LogMel),
computed with torchaudio on the GPU machine.

Generates 1 s of deterministic synthetic 16 kHz audio from a fixed formula (quiet tone, then a loud chirp with
harmonics and LCG noise), and writes, little-endian float32, under $OUT (default /tmp):
  logmel_reference_input.f32   16000 samples
  logmel_reference_logmel.f32  98 frames x 128 log10 mel values (no centre padding, hop 160, n_fft 400)
  logmel_reference_energy.f32  98 frame energies (mean square of the raw frame)
  logmel_reference_stats.json  versions, and how far torchaudio's own float32 GPU result is from the float64 one
The Java test LogMelReferenceTest compares the twin to these files (copied to gpu-kernels/src/test/resources).

  usage: OUT=/some/dir python3 load-tests/gpu/logmel_reference.py
"""
import json
import math
import os
import struct

import torch

OUT = os.environ.get("OUT", "/tmp")
SR, N_FFT, HOP, N_MELS = 16000, 400, 160, 128


def synthetic_audio(n=SR):
    seed = 12345
    x = []
    for i in range(n):
        seed = (1103515245 * seed + 12345) % 2147483648
        noise = seed / 2147483648.0 * 2.0 - 1.0
        t = i / SR
        if t < 0.25:
            v = 0.02 * math.sin(2 * math.pi * 220.0 * t)
        else:
            phase = 2 * math.pi * (300.0 * t + 1500.0 * t * t)
            v = 0.5 * math.sin(phase) + 0.2 * math.sin(2 * phase) + 0.1 * math.sin(3 * phase)
        x.append(v + 0.01 * noise)
    return torch.tensor(x, dtype=torch.float32)


def reference(x, device, dtype):
    import torchaudio
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=SR, n_fft=N_FFT, win_length=N_FFT, hop_length=HOP, f_min=0.0, f_max=SR / 2, n_mels=N_MELS,
        window_fn=torch.hann_window, power=2.0, center=False, norm="slaney", mel_scale="slaney").to(device=device, dtype=dtype)
    spec = mel(x.to(device=device, dtype=dtype))  # [128, frames]
    return torch.log10(torch.clamp(spec, min=1e-10)).T.contiguous()


def write_f32(path, values):
    vals = [float(v) for v in values]
    with open(path, "wb") as f:
        f.write(struct.pack("<%df" % len(vals), *vals))


def main():
    import torchaudio
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = synthetic_audio()
    ref64 = reference(x, device, torch.float64).cpu()
    ref32 = reference(x, device, torch.float32).cpu().double()
    frames = x.double().unfold(0, N_FFT, HOP)
    energy = (frames * frames).mean(dim=1)
    os.makedirs(OUT, exist_ok=True)
    write_f32(os.path.join(OUT, "logmel_reference_input.f32"), x.tolist())
    write_f32(os.path.join(OUT, "logmel_reference_logmel.f32"), ref64.flatten().tolist())
    write_f32(os.path.join(OUT, "logmel_reference_energy.f32"), energy.tolist())
    mx = ref64.max().item()
    keep = ref64 > mx - 7
    stats = {
        "torch": torch.__version__, "torchaudio": torchaudio.__version__, "device": device,
        "frames": ref64.shape[0], "mels": ref64.shape[1], "max_log10": mx,
        "fp32_vs_fp64_max_abs_diff_within_7_decades": (ref32 - ref64)[keep].abs().max().item(),
        "fp32_vs_fp64_max_abs_diff_all": (ref32 - ref64).abs().max().item(),
    }
    with open(os.path.join(OUT, "logmel_reference_stats.json"), "w") as f:
        json.dump(stats, f, indent=2)
    print(json.dumps(stats, indent=2))


if __name__ == "__main__":
    main()

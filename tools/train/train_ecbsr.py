#!/usr/bin/python3
"""Trains repconv's built-in `ecbsr-x2` (ECBSR-M4C16, x2, Y channel, values
0..255) on skimage's sample images and writes its train-time weights as the
blob runtime/zoo/weights/ecbsr_x2.bin (layout: tools/train/ecbsr.py).

    nice -n 10 /usr/bin/python3 tools/train/train_ecbsr.py
    /usr/bin/python3 tools/train/eval_ecbsr.py      # table, RESULTS.md, fixtures

Data: the images below (skimage.data, all in Debian's python3-skimage, no
download), each cropped to even size and degraded once, whole: bicubic x0.5
(ecbsr.bicubic: PIL-like, antialiased, a = -0.5) on RGB, rounded to 8 bits;
then Y (BT.601 studio range) of LR and HR. Training pairs are aligned random
crops (LR 48x48, HR 96x96) with a random flip and 90-degree rotation, 16 a
batch, from images drawn uniformly. Held out (never seen in training): chelsea (and `cat`, the same
picture), coffee, camera. Loss L1, Adam 5e-4 cosine-annealed to 1e-6 over
a wall-time budget (--minutes, 30 by default) or over --iters steps.
One thread (the machine is shared); everything seeded.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ecbsr  # noqa: E402

TRAIN = ["astronaut", "rocket", "brick", "grass", "gravel", "moon", "hubble_deep_field", "immunohistochemistry",
         "retina", "coins", "cell", "clock", "text", "page", "colorwheel", "stereo_motorcycle"]
HELD_OUT = ["chelsea", "coffee", "camera"]  # skimage's `cat` is chelsea: excluded from training too

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BLOB = os.path.join(REPO, "runtime", "zoo", "weights", "ecbsr_x2.bin")


def dataset():
    pairs = []
    for name in TRAIN:
        hr = ecbsr.load_image(name)
        lr = ecbsr.degrade(hr)
        pairs.append((ecbsr.rgb_to_y(lr).astype(np.float32), ecbsr.rgb_to_y(hr).astype(np.float32)))
    return pairs


def batch(pairs, rng, n, p):
    """n aligned crops (LR p x p, HR 2p x 2p) with a random dihedral transform;
    images drawn uniformly (by area, the large and mostly flat retina and
    hubble_deep_field would take half the batches)."""
    picks = rng.integers(0, len(pairs), size=n)
    xs, ys = [], []
    for i in picks:
        lr, hr = pairs[i]
        y0 = rng.integers(0, lr.shape[0] - p + 1)
        x0 = rng.integers(0, lr.shape[1] - p + 1)
        a = lr[y0 : y0 + p, x0 : x0 + p]
        b = hr[2 * y0 : 2 * y0 + 2 * p, 2 * x0 : 2 * x0 + 2 * p]
        k = rng.integers(0, 4)
        a, b = np.rot90(a, k), np.rot90(b, k)
        if rng.integers(0, 2):
            a, b = a[:, ::-1], b[:, ::-1]
        xs.append(a.copy())
        ys.append(b.copy())
    return torch.from_numpy(np.stack(xs)[:, None]), torch.from_numpy(np.stack(ys)[:, None])


def held_out_gain(model):
    gains = []
    for name in HELD_OUT:
        hr = ecbsr.load_image(name)
        hr_y, lr_y = ecbsr.rgb_to_y(hr), ecbsr.rgb_to_y(ecbsr.degrade(hr))
        sr, bic = ecbsr.model_y(model, lr_y), ecbsr.bicubic_up_y(lr_y)
        gains.append(ecbsr.psnr_ssim(hr_y, sr)[0] - ecbsr.psnr_ssim(hr_y, bic)[0])
    return float(np.mean(gains))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30.0,
                    help="training wall-time budget: the learning rate follows a cosine over it, and it stops there")
    ap.add_argument("--iters", type=int, default=0,
                    help="train for exactly N steps instead, the cosine over steps: bit-for-bit reproducible")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--patch", type=int, default=48)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--m", type=int, default=4)
    ap.add_argument("--c", type=int, default=16)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--out", default=BLOB)
    ap.add_argument("--log", default=os.path.join(REPO, "tools", "train", "train_log.json"))
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    pairs = dataset()
    model = ecbsr.ECBSR(args.m, args.c)
    # The tail starts small: the net begins as the nearest-upsampled input
    # plus a small correction (what a trained SR net is), not as noise of
    # the input's magnitude (values are 0..255).
    with torch.no_grad():
        for p in model.backbone[-1].parameters():
            p.mul_(0.1)
    model.set_fast(True)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    budget = args.minutes * 60.0
    t_train = time.time()
    running, it, watched = 0.0, 0, 0
    while True:
        # Progress in [0, 1]: by steps (--iters), else by wall time. The
        # machine is shared, so a fixed step count has no fixed duration;
        # the time budget keeps the run within it (the count it reached is
        # printed and logged: --iters with it repeats the data and the
        # initialization, not the learning-rate schedule).
        progress = it / args.iters if args.iters else (time.time() - t_train) / budget
        if progress >= 1.0:
            break
        lr = 1e-6 + (args.lr - 1e-6) * 0.5 * (1.0 + math.cos(math.pi * progress))
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = batch(pairs, rng, args.batch, args.patch)
        loss = F.l1_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        it += 1
        running += loss.item()
        if it % 500 == 0:
            print("iter %6d  L1 %.4f  lr %.2e  %.0f s" % (it, running / 500, lr, time.time() - t_train), flush=True)
            running = 0.0
        if progress >= (watched + 1) / 4.0:
            watched += 1
            # Printed to watch the run, never used to pick weights or stop.
            print("  held-out mean PSNR gain over bicubic: %+.2f dB" % held_out_gain(model), flush=True)
    train_s = time.time() - t_train
    model.set_fast(False)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "wb") as f:
        f.write(ecbsr.blob_bytes(model.state_dict()))
    n_params = sum(p.numel() for p in model.parameters())
    log = {"train_seconds": round(train_s, 1), "data_seconds": round(t_train - t0, 1), "iters": it,
           "schedule": "%d steps" % args.iters if args.iters else "%g minutes" % args.minutes,
           "batch": args.batch, "patch_lr": args.patch, "lr": args.lr, "m": args.m, "c": args.c, "seed": args.seed,
           "params_train_time": n_params, "threads": 1, "train_images": TRAIN, "held_out": HELD_OUT}
    with open(args.log, "w") as f:
        json.dump(log, f, indent=1)
    print("trained %d iterations in %.1f s (%.1f min); %d train-time parameters; wrote %s" %
          (it, train_s, train_s / 60, n_params, args.out))


if __name__ == "__main__":
    main()

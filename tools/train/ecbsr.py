"""ECBSR x2 on Y in PyTorch: the train-time model of repconv's built-in
`ecbsr-x2`, the data (skimage's images, degraded), the metrics and the weight
blob. Shared by train_ecbsr.py and eval_ecbsr.py.

The ECB block here is rc_block_ecb of runtime/zoo/blocks.c branch for branch
(same modules, same parameter names: the state_dict keys are the names the C
builder asks the blob for):
  conv3x3       3x3 conv, pad 1, bias
  conv1x1_3x3   conv0 1x1 (cin -> 2 cout, bias b0) -> pad 1 with b0 -> conv1 3x3 pad 0, bias
  conv1x1_sbx   conv0 1x1 (cin -> cout, bias b0) -> pad 1 with b0 -> conv1 depthwise 3x3
  conv1x1_sby   pad 0, weight scale[o] * mask (Sobel-x, Sobel-y, Laplacian), bias
  conv1x1_lpl   (conv1.scale [cout, 1, 1, 1], conv1.bias [cout])
summed, then PReLU(cout) (nn.PReLU's `weight`, one slope per channel) unless
the block is the tail. ECBSR: head ECB 1 -> C + PReLU, M ECB C -> C + PReLU,
tail ECB C -> 4 linear, + the input broadcast to the 4 channels, PixelShuffle(2).
"""
import struct
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# [kh][kw], as k_sobel_x / k_sobel_y / k_laplacian in runtime/zoo/blocks.c.
MASKS = {
    "sbx": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
    "sby": [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
    "lpl": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
}


def pad_with(y, b):
    """Pads y by 1 on every side with the per-channel value b (ECB's b0 ring)."""
    y = F.pad(y, (1, 1, 1, 1), "constant", 0.0)
    v = b.view(1, -1, 1, 1)
    y[:, :, 0:1, :] = v
    y[:, :, -1:, :] = v
    y[:, :, :, 0:1] = v
    y[:, :, :, -1:] = v
    return y


class EdgeConv(nn.Module):
    """Depthwise 3x3, pad 0, weight scale[o] * mask (a fixed edge filter), bias."""

    def __init__(self, c, mask):
        super().__init__()
        # ECBSR's init: scale and bias ~ N(0, 1e-3^2).
        self.scale = nn.Parameter(torch.randn(c, 1, 1, 1) * 1e-3)
        self.bias = nn.Parameter(torch.randn(c) * 1e-3)
        m = torch.tensor(mask, dtype=torch.float32)
        self.register_buffer("mask", m.view(1, 1, 3, 3).repeat(c, 1, 1, 1), persistent=False)

    def weight(self):
        return self.scale * self.mask

    def forward(self, y):
        return F.conv2d(y, self.weight(), self.bias, groups=y.shape[1])


class SeqConv(nn.Module):
    """conv0 1x1 -> pad with b0 -> conv1 3x3 pad 0 (dense, or EdgeConv)."""

    def __init__(self, cin, cout, kind):
        super().__init__()
        self.dense = kind == "conv1x1_3x3"
        mid = 2 * cout if self.dense else cout
        self.conv0 = nn.Conv2d(cin, mid, 1)
        self.conv1 = nn.Conv2d(mid, cout, 3) if self.dense else EdgeConv(cout, MASKS[kind[-3:]])

    def forward(self, x):
        return self.conv1(pad_with(self.conv0(x), self.conv0.bias))

    def rep(self):
        """The one 3x3 conv (pad 1) this branch equals: (K [cout, cin, 3, 3], B [cout])."""
        k0 = self.conv0.weight[:, :, 0, 0]  # [mid, cin]
        b0 = self.conv0.bias
        if self.dense:
            k1, b1 = self.conv1.weight, self.conv1.bias
            return torch.einsum("omhw,mi->oihw", k1, k0), (k1.sum((2, 3)) * b0).sum(1) + b1
        k1 = self.conv1.weight()  # [cout, 1, 3, 3]
        return k1 * k0[:, :, None, None], k1.sum((1, 2, 3)) * b0 + self.conv1.bias


class ECB(nn.Module):
    def __init__(self, cin, cout, prelu):
        super().__init__()
        self.conv3x3 = nn.Conv2d(cin, cout, 3, padding=1)
        self.conv1x1_3x3 = SeqConv(cin, cout, "conv1x1_3x3")
        self.conv1x1_sbx = SeqConv(cin, cout, "conv1x1_sbx")
        self.conv1x1_sby = SeqConv(cin, cout, "conv1x1_sby")
        self.conv1x1_lpl = SeqConv(cin, cout, "conv1x1_lpl")
        self.act = nn.PReLU(cout) if prelu else None
        self.fast = False

    def branches(self):
        return (self.conv1x1_3x3, self.conv1x1_sbx, self.conv1x1_sby, self.conv1x1_lpl)

    def rep(self):
        k, b = self.conv3x3.weight, self.conv3x3.bias
        for br in self.branches():
            kb, bb = br.rep()
            k, b = k + kb, b + bb
        return k, b

    def forward(self, x):
        if self.fast:
            # Training only: the same linear function of x and of the
            # parameters, as one conv (the gradients are those of the
            # branches; about 4x less work per step).
            k, b = self.rep()
            y = F.conv2d(x, k, b, padding=1)
        else:
            # Summed in the order of the C graph's adds.
            y = self.conv3x3(x)
            for br in self.branches():
                y = y + br(x)
        return self.act(y) if self.act is not None else y


class ECBSR(nn.Module):
    def __init__(self, m=4, c=16, scale=2):
        super().__init__()
        blocks = [ECB(1, c, True)] + [ECB(c, c, True) for _ in range(m)] + [ECB(c, scale * scale, False)]
        self.backbone = nn.ModuleList(blocks)
        self.upsampler = nn.PixelShuffle(scale)

    def set_fast(self, fast):
        for b in self.backbone:
            b.fast = fast

    def forward(self, x):
        y = x
        for b in self.backbone:
            y = b(y)
        return self.upsampler(y + x)


# ----------------------------------------------------------------- data

def rgb_to_y(rgb):
    """BT.601 luma, studio range (16..235), of 8-bit RGB values as float64:
    MATLAB's rgb2ycbcr, the usual Y of SR evaluations and y4m video's Y.
    rgb: [..., 3] (or [...] gray: R = G = B)."""
    rgb = np.asarray(rgb, dtype=np.float64)
    if rgb.ndim == 2 or rgb.shape[-1] == 1:
        g = rgb.reshape(rgb.shape[:2])
        return 16.0 + (65.481 + 128.553 + 24.966) * g / 255.0
    return 16.0 + (65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255.0


def bicubic(x, factor):
    """The resize of training and evaluation: torch.nn.functional.interpolate(
    mode='bicubic', align_corners=False, antialias=True) = PIL's BICUBIC
    (Keys a = -0.5, the kernel stretched by 1/factor when downscaling,
    weights renormalized at the border). x: [N, C, H, W] float64 or float32."""
    return F.interpolate(x, scale_factor=factor, mode="bicubic", align_corners=False, antialias=True)


def degrade(hr_u8):
    """HR 8-bit image [H, W, 3] or [H, W] (H, W even) -> LR 8-bit, half size:
    bicubic x0.5 on each channel in float64, rounded to nearest and clipped
    to 0..255 (the LR is an 8-bit picture, as an app would get)."""
    a = np.asarray(hr_u8, dtype=np.float64)
    gray = a.ndim == 2
    t = torch.from_numpy(a[None, None] if gray else a.transpose(2, 0, 1)[None].copy())
    lr = bicubic(t, 0.5)[0].numpy()
    lr = np.clip(np.round(lr), 0, 255).astype(np.uint8)
    return lr[0] if gray else lr.transpose(1, 2, 0)


def even_crop(im):
    return im[: im.shape[0] // 2 * 2, : im.shape[1] // 2 * 2]


def load_image(name):
    import skimage.data as d

    im = getattr(d, name)()
    if isinstance(im, tuple):  # stereo_motorcycle: (left, right, disparity)
        im = im[0]
    if im.ndim == 3 and im.shape[2] == 4:
        im = im[..., :3]
    return even_crop(np.ascontiguousarray(im))


def bicubic_up_y(lr_y):
    """The baseline: LR Y (float64 [h, w]) upscaled x2 with bicubic(), clipped to 0..255."""
    t = torch.from_numpy(np.asarray(lr_y, dtype=np.float64)[None, None])
    return np.clip(bicubic(t, 2.0)[0, 0].numpy(), 0, 255)


def model_y(model, lr_y):
    """The model on LR Y (float32 in, the train-time form), clipped to 0..255."""
    with torch.no_grad():
        t = torch.from_numpy(np.asarray(lr_y, dtype=np.float32)[None, None])
        return np.clip(model(t)[0, 0].double().numpy(), 0, 255)


def psnr_ssim(hr_y, sr_y, border=2):
    """PSNR and SSIM on Y, data range 255, `border` pixels cropped on each
    side (= the scale, the usual convention). SSIM: Wang et al.'s (Gaussian
    window sigma 1.5, population covariance), skimage's implementation."""
    from skimage.metrics import structural_similarity

    a = hr_y[border:-border, border:-border]
    b = sr_y[border:-border, border:-border]
    mse = np.mean((a - b) ** 2)
    psnr = 10.0 * np.log10(255.0 * 255.0 / mse)
    ssim = structural_similarity(a, b, data_range=255.0, gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False)
    return psnr, ssim


# ------------------------------------------------------------ weight blob
#
# Layout (little-endian), read by runtime/zoo/wblob.c:
#   0  4   magic "RCZW"
#   4  u32 version (1)
#   8  u32 tensor count
#   12 u32 payload bytes (everything after this 20-byte header)
#   16 u32 CRC-32 of the payload (zlib's crc32: IEEE 802.3, reflected, init and
#      final xor 0xFFFFFFFF)
#   20 payload: per tensor, in state_dict order:
#        u8 name length L (1..127), L bytes of ASCII name (the state_dict key)
#        u8 ndim (1..4), ndim x u32 dims
#        numel x f32 data (C order)
MAGIC = b"RCZW"
VERSION = 1


def blob_bytes(state):
    payload = bytearray()
    for name, t in state.items():
        a = t.detach().cpu().numpy().astype("<f4")
        nb = name.encode("ascii")
        assert 1 <= len(nb) <= 127 and 1 <= a.ndim <= 4
        payload += struct.pack("<B", len(nb)) + nb + struct.pack("<B", a.ndim)
        payload += struct.pack("<%dI" % a.ndim, *a.shape) + a.tobytes()
    head = MAGIC + struct.pack("<IIII", VERSION, len(state), len(payload), zlib.crc32(payload) & 0xFFFFFFFF)
    return bytes(head + payload)


def blob_load(data):
    assert data[:4] == MAGIC
    version, count, size, crc = struct.unpack("<IIII", data[4:20])
    payload = data[20:]
    assert version == VERSION and size == len(payload) and zlib.crc32(payload) & 0xFFFFFFFF == crc
    state, off = {}, 0
    for _ in range(count):
        n = payload[off]
        name = payload[off + 1 : off + 1 + n].decode("ascii")
        off += 1 + n
        nd = payload[off]
        dims = struct.unpack("<%dI" % nd, payload[off + 1 : off + 1 + 4 * nd])
        off += 1 + 4 * nd
        k = int(np.prod(dims))
        state[name] = torch.from_numpy(np.frombuffer(payload, "<f4", k, off).astype(np.float32).reshape(dims))
        off += 4 * k
    assert off == len(payload)
    return state


# ------------------------------------------------------------ png writer

def _png_filtered(im):
    """Scanlines with a per-row filter (None, Sub, Up, Average, Paeth): the
    one with the least sum of |signed bytes|, libpng's heuristic."""
    h, w = im.shape[:2]
    bpp = 1 if im.ndim == 2 else im.shape[2]
    rows = im.reshape(h, w * bpp).astype(np.int16)
    out, prev = [], np.zeros(w * bpp, np.int16)
    for y in range(h):
        cur = rows[y]
        left = np.concatenate([np.zeros(bpp, np.int16), cur[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int16), prev[:-bpp]])
        p = left + prev - upleft
        pa, pb, pc = np.abs(p - left), np.abs(p - prev), np.abs(p - upleft)
        paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        cands = [cur, cur - left, cur - prev, cur - (left + prev) // 2, cur - paeth]
        cands = [(c % 256).astype(np.uint8) for c in cands]
        cost = [np.abs(c.astype(np.int8).astype(np.int32)).sum() for c in cands]
        k = int(np.argmin(cost))
        out.append(bytes([k]) + cands[k].tobytes())
        prev = cur
    return b"".join(out)


def write_png(path, im):
    """8-bit gray [H, W] or RGB [H, W, 3] PNG (adaptive filters; zlib level 9)."""
    im = np.ascontiguousarray(im, dtype=np.uint8)
    h, w = im.shape[:2]
    ctype = 0 if im.ndim == 2 else 2
    raw = _png_filtered(im)

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, ctype, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def read_png(path):
    """Reads back what write_png writes (8-bit gray/RGB, non-interlaced)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    off, idat, w, h, ctype = 8, b"", 0, 0, 0
    while off < len(data):
        n, t = struct.unpack(">I4s", data[off : off + 8])
        d = data[off + 8 : off + 8 + n]
        if t == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", d[:10])
            assert depth == 8 and ctype in (0, 2)
        elif t == b"IDAT":
            idat += d
        off += 12 + n
    bpp = 1 if ctype == 0 else 3
    raw = zlib.decompress(idat)
    stride = w * bpp
    out = np.zeros((h, stride), np.int32)
    prev = np.zeros(stride, np.int32)
    for y in range(h):
        k = raw[y * (stride + 1)]
        f = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        cur = np.zeros(stride, np.int32)
        for i in range(stride):
            a = cur[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if k == 0:
                pred = 0
            elif k == 1:
                pred = a
            elif k == 2:
                pred = b
            elif k == 3:
                pred = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[i] = (f[i] + pred) % 256
        out[y] = cur
        prev = cur
    return out.astype(np.uint8).reshape((h, w) if bpp == 1 else (h, w, 3))

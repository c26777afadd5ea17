#!/usr/bin/python3
"""models_resnet.py - ResNet-18 deploy form (every BN folded into its conv: what DBB/ACNet/RepVGG-style
folding of a DBB-ResNet18 leaves), random weights, for the side-by-side harness.
Writes models/resnet18_deploy.onnx (input "data", output "output"), models/resnet18.pt,
models/ncnn/resnet18_in.raw / resnet18_out.raw and models/ref/*.npy."""
import os
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import models as M

torch.manual_seed(1)


def conv_bn(cin, cout, k, s):
    c = nn.Conv2d(cin, cout, k, s, k // 2, bias=True)
    M.he_(c)
    bn = nn.BatchNorm2d(cout)
    M.rand_bn_(bn)
    with torch.no_grad():
        w, b = M.fuse_conv_bn(c.weight, bn)
        c.weight.copy_(w * 0.7)  # keep the residual sums from growing stage by stage
        c.bias.copy_(b)
    return c


class Block(nn.Module):
    def __init__(self, cin, cout, s):
        super().__init__()
        self.c1 = conv_bn(cin, cout, 3, s)
        self.c2 = conv_bn(cout, cout, 3, 1)
        self.down = conv_bn(cin, cout, 1, s) if (s != 1 or cin != cout) else None

    def forward(self, x):
        y = self.c2(F.relu(self.c1(x)))
        return F.relu(y + (self.down(x) if self.down is not None else x))


class ResNet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = conv_bn(3, 64, 7, 2)
        cfg = [(64, 64, 1), (64, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2),
               (512, 512, 1)]
        self.blocks = nn.Sequential(*[Block(*c) for c in cfg])
        self.fc = nn.Linear(512, 1000)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem(x)), 3, 2, 1)
        x = self.blocks(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def main():
    torch.set_grad_enabled(False)
    m = ResNet18().eval()
    x = torch.randn(1, 3, 224, 224)
    y = m(x)
    print("ResNet-18 deploy |y|max", y.abs().max().item())
    path = os.path.join(M.OUT, "resnet18_deploy.onnx")
    torch.onnx.export(m, x, path, opset_version=13, input_names=["data"], output_names=["output"],
                      do_constant_folding=True)
    torch.save(m, os.path.join(M.OUT, "resnet18.pt"))
    M.save_raw(os.path.join(M.NC, "resnet18_in.raw"), x)
    M.save_raw(os.path.join(M.NC, "resnet18_out.raw"), y)


if __name__ == "__main__":
    main()

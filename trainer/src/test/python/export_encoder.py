#!/usr/bin/python3
"""Exports a torchvision ResNet to ONNX the way the README's real-weights recipe does (random weights: no internet).

    export_encoder.py ARCH OUT.onnx [--opset 13|17] [--static] [--keep-batchnorm] [--seed N]

ARCH: resnet18 or resnet50. Default: dynamic batch (dynamic_axes N), opset 17, BatchNorm folded into the convolutions
by the exporter (eval mode), as torch.onnx.export does by default. --keep-batchnorm exports with
TrainingMode.PRESERVE, which keeps explicit BatchNormalization nodes as the ONNX Model Zoo's ResNets have them.
Debian's python3-torch and python3-torchvision only.
"""
import argparse

import torch
import torchvision


def main():
    p = argparse.ArgumentParser()
    p.add_argument("arch", choices=["resnet18", "resnet50"])
    p.add_argument("out")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--static", action="store_true")
    p.add_argument("--keep-batchnorm", action="store_true")
    p.add_argument("--seed", type=int, default=2021)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    model = getattr(torchvision.models, a.arch)(weights=None)
    # random running statistics, so that a BatchNorm that is folded or applied wrongly shows in the outputs
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    model.eval()
    kwargs = {}
    if not a.static:
        kwargs["dynamic_axes"] = {"input": {0: "N"}, "output": {0: "N"}}
    if a.keep_batchnorm:
        kwargs["training"] = torch.onnx.TrainingMode.PRESERVE
        kwargs["do_constant_folding"] = False
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), a.out, input_names=["input"], output_names=["output"],
                      opset_version=a.opset, **kwargs)


if __name__ == "__main__":
    main()

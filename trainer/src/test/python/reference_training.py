#!/usr/bin/python3
"""The PyTorch reference of the trainer's optimisation, replayed number for number (docs/method.md §5.7).

    reference_training.py encoder OUT.onnx OUT.json [--seed N] [--width W]
        Builds a small torchvision-style encoder (conv-BN-ReLU-maxpool, one residual basic block, global average
        pool, flatten -> "features", Linear -> "logits") with random BatchNorm statistics, exports it to ONNX with
        its BatchNormalization nodes kept (as the ONNX Model Zoo's ResNets have them), and writes to OUT.json the
        parameters PyTorch's own conv+BN fusion (torch.nn.utils.fusion.fuse_conv_bn_eval, in float64) gives.

    reference_training.py replay IN.json OUT.json
        Replays, in float64, the steps the trainer recorded (IN.json: the initial weights, the data, the rows of
        every batch as the sampler drew them, the hyper-parameters): the head of Affect-DML (and, when IN.json has
        an encoder, two copies of it trained jointly), Eq. 7's loss alpha * triplet + beta * cross-entropy with the
        Multi-Similarity miner's rules, torch.optim.RMSprop, and torch's StepLR (per epoch) chained with LinearLR (the
        warm-up, per step). Writes every step's learning rates, loss parts, gradients and weights after the update,
        and the final head's eval-mode embedding of the evaluation rows. With "forced_weights" in IN.json (the trainer's
        weights after each step), every step after the first starts from the trainer's weights instead of the
        replay's own (teacher forcing): each step is then compared alone, without the drift of two trajectories;
        the final embedding is then the trainer's final head's.

Debian's python3-torch and python3-torchvision only (pytorch-metric-learning is not packaged: its miner rules and
reducer are written out).
"""
import argparse
import copy
import json

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval
from torchvision.models.resnet import BasicBlock


class SmallEncoder(nn.Module):
    """A ResNet in miniature, of torchvision's parts: the stem, one BasicBlock, global average pooling, a classifier."""

    def __init__(self, width, classes=5):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = BasicBlock(width, width)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        features = torch.flatten(self.avgpool(self.layer1(x)), 1)
        return features, self.fc(features)


def fused(model):
    """The encoder as it trains: every BatchNorm folded into its convolution by PyTorch's own fusion."""
    m = copy.deepcopy(model).eval()
    m.conv1, m.bn1 = fuse_conv_bn_eval(m.conv1, m.bn1), nn.Identity()
    m.layer1.conv1, m.layer1.bn1 = fuse_conv_bn_eval(m.layer1.conv1, m.layer1.bn1), nn.Identity()
    m.layer1.conv2, m.layer1.bn2 = fuse_conv_bn_eval(m.layer1.conv2, m.layer1.bn2), nn.Identity()
    return m


def make_encoder(a):
    torch.manual_seed(a.seed)
    model = SmallEncoder(a.width)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    model.eval()
    torch.onnx.export(model, torch.randn(1, 3, 16, 16), a.out_onnx, input_names=["input"],
                      output_names=["features", "logits"], opset_version=13,
                      dynamic_axes={"input": {0: "N"}, "features": {0: "N"}, "logits": {0: "N"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    folded = fused(model.double())
    with open(a.out_json, "w") as f:
        json.dump({"width": a.width, "parameters": {name: tensor_json(p) for name, p in folded.named_parameters()}}, f)


def tensor_json(t):
    return {"shape": list(t.shape), "data": t.detach().reshape(-1).tolist()}


def tensor(j):
    return torch.tensor(j["data"], dtype=torch.float64).reshape(j["shape"])


def head_forward(p, stats, variant, image, body, sem, training):
    """HeadNetwork's forward pass; F.batch_norm updates the running statistics as torch's BatchNorm1d does."""
    streams = []
    if variant["image"]:
        streams.append(image @ p["image_w"] + p["image_b"])
    if variant["body"]:
        streams.append(body @ p["body_w"] + p["body_b"])
    if variant["semantic"]:
        h = F.relu(sem @ p["sem1_w"] + p["sem1_b"])
        h = F.batch_norm(h, stats["bn_mean"], stats["bn_var"], p["bn_gamma"], p["bn_beta"], training=training,
                         momentum=0.1, eps=1e-5)
        streams.append(h @ p["sem2_w"] + p["sem2_b"])
    z = (torch.cat(streams, 1) @ p["fuse_w"] + p["fuse_b"]) @ p["embed_w"] + p["embed_b"]
    return z, z @ p["classifier_w"] + p["classifier_b"]


def ms_triplets(similarity, labels, epsilon):
    """pytorch-metric-learning's MultiSimilarityMiner(epsilon) rules, then all (anchor, positive, negative) pairs."""
    n = len(labels)
    same = labels[:, None] == labels[None, :]
    positive = same & ~torch.eye(n, dtype=torch.bool)
    negative = ~same
    if not positive.any() or not negative.any():
        return []
    triplets = []
    for i in range(n):
        pos = positive[i].nonzero().flatten().tolist()
        neg = negative[i].nonzero().flatten().tolist()
        min_pos = min((similarity[i, j].item() for j in pos), default=float("inf"))
        max_neg = max((similarity[i, j].item() for j in neg), default=float("-inf"))
        kept_pos = [j for j in pos if similarity[i, j].item() - epsilon < max_neg]
        kept_neg = [j for j in neg if similarity[i, j].item() + epsilon > min_pos]
        triplets += [(i, p, q) for p in kept_pos for q in kept_neg]
    return triplets


def loss(z, logits, labels, c):
    """Eq. 7: alpha * TripletMarginLoss(margin) on the mined triplets (AvgNonZeroReducer) + beta * cross-entropy."""
    unit = F.normalize(z, p=2, dim=1)
    triplets = ms_triplets((unit @ unit.T).detach(), labels, c["epsilon"])
    triplet = torch.zeros((), dtype=torch.float64)
    active = 0
    if triplets:
        d = torch.cdist(unit, unit, p=2)
        a, p, n = (torch.tensor(x) for x in zip(*triplets))
        per = F.relu(d[a, p] - d[a, n] + c["margin"])
        nonzero = per > 0
        active = int(nonzero.sum())
        if active:
            triplet = per[nonzero].mean()
    ce = F.cross_entropy(logits, labels)
    return c["alpha"] * triplet + c["beta"] * ce, triplet, ce, len(triplets), active


def replay(a):
    with open(a.in_json) as f:
        spec = json.load(f)
    c = spec["config"]
    variant = spec["head"]["variant"]
    head = {k: tensor(v).requires_grad_() for k, v in spec["head"]["initial"].items() if k not in ("bn_mean", "bn_var")}
    stats = {k: tensor(spec["head"]["initial"][k]) for k in ("bn_mean", "bn_var") if k in spec["head"]["initial"]}
    data = {k: torch.tensor(v, dtype=torch.float64) for k, v in spec["data"].items() if k != "labels"}
    labels = torch.tensor(spec["data"]["labels"])

    encoders = {}
    groups = [{"params": list(head.values()), "lr": c["learning_rate"]}]
    enc = spec.get("encoder")
    if enc:
        for stream in ("image", "body"):
            model = fused(SmallEncoder(enc["width"])).double()
            names = {}
            with torch.no_grad():
                params = dict(model.named_parameters())
                for java_name, t in enc["initial"][stream].items():
                    params[t["torch"]].copy_(tensor(t))
                    names[java_name] = params[t["torch"]]
            encoders[stream] = (model, names)
            groups.append({"params": list(names.values()), "lr": c["encoder_learning_rate"]})
        chw = {"image": enc["image_chw"], "body": enc["body_chw"]}

    optimizer = torch.optim.RMSprop(groups, alpha=0.99, eps=1e-8)
    epochs = [s["epoch"] for s in spec["steps"]]
    # PyTorch's own schedulers, composed as they chain: StepLR stepped after each epoch, and for a warm-up of N
    # steps LinearLR(start_factor=1/N, total_iters=N-1) stepped after each batch, which scales step t by (t+1)/N
    per_epoch = torch.optim.lr_scheduler.StepLR(optimizer, step_size=c["lr_step_epochs"], gamma=c["lr_gamma"])
    per_step = None
    if c["warmup_steps"] > 1:
        per_step = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1.0 / c["warmup_steps"], end_factor=1.0,
                                                     total_iters=c["warmup_steps"] - 1)
    head_prefix = "head/" if enc else ""
    steps = []
    forced = spec.get("forced_weights")
    for k, s in enumerate(spec["steps"]):
        if forced and k > 0:
            start_from(forced[k - 1], head, stats, encoders, head_prefix)
        rows = torch.tensor(s["rows"])
        optimizer.zero_grad()
        if enc:
            image = encoders["image"][0](data["image"][rows].reshape([-1] + chw["image"]))[0]
            body = encoders["body"][0](data["body"][rows].reshape([-1] + chw["body"]))[0]
        else:
            image = data["image"][rows] if variant["image"] else None
            body = data["body"][rows] if variant["body"] else None
        sem = data["sem"][rows] if variant["semantic"] else None
        z, logits = head_forward(head, stats, variant, image, body, sem, True)
        total, triplet, ce, n_triplets, active = loss(z, logits, labels[rows], c)
        total.backward()
        record = {"learning_rate": optimizer.param_groups[0]["lr"],
                  "encoder_learning_rate": optimizer.param_groups[1]["lr"] if enc else 0.0,
                  "loss": total.item(), "triplet": float(triplet), "cross_entropy": ce.item(),
                  "triplets": n_triplets, "active_triplets": active,
                  "gradients": {head_prefix + k: gradient(v) for k, v in head.items()}}
        for stream, (_, names) in encoders.items():
            record["gradients"].update({stream + "/" + k: gradient(v) for k, v in names.items()})
        optimizer.step()
        if per_step is not None:
            per_step.step()
        if k + 1 < len(epochs) and epochs[k + 1] != epochs[k]:
            per_epoch.step()
        record["weights"] = {head_prefix + k: flat(v) for k, v in list(head.items()) + list(stats.items())}
        for stream, (_, names) in encoders.items():
            record["weights"].update({stream + "/" + k: flat(v) for k, v in names.items()})
        steps.append(record)

    out = {"steps": steps}
    if not enc:
        if forced:
            start_from(forced[-1], head, stats, encoders, head_prefix)  # the trainer's final head, for its ONNX export
        rows = torch.tensor(spec["eval_rows"])
        with torch.no_grad():
            z, _ = head_forward(head, stats, variant, data.get("image", torch.empty(0))[rows] if variant["image"] else None,
                                data["body"][rows] if variant["body"] else None,
                                data["sem"][rows] if variant["semantic"] else None, False)
            out["eval_embedding"] = F.normalize(z, p=2, dim=1).tolist()
    with open(a.out_json, "w") as f:
        json.dump(out, f)


def start_from(weights, head, stats, encoders, head_prefix):
    """Teacher forcing: the step starts from the trainer's weights (its float32 trajectory), not from this replay's."""
    with torch.no_grad():
        for k, v in list(head.items()) + list(stats.items()):
            v.copy_(torch.tensor(weights[head_prefix + k], dtype=torch.float64).reshape(v.shape))
        for stream, (_, names) in encoders.items():
            for k, v in names.items():
                v.copy_(torch.tensor(weights[stream + "/" + k], dtype=torch.float64).reshape(v.shape))


def flat(t):
    return t.detach().reshape(-1).tolist()


def gradient(p):
    """A parameter's gradient; none (a parameter the trained output does not read, e.g. the classifier) is zero."""
    return flat(p.grad) if p.grad is not None else [0.0] * p.numel()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("encoder")
    e.add_argument("out_onnx")
    e.add_argument("out_json")
    e.add_argument("--seed", type=int, default=2021)
    e.add_argument("--width", type=int, default=8)
    r = sub.add_parser("replay")
    r.add_argument("in_json")
    r.add_argument("out_json")
    a = p.parse_args()
    make_encoder(a) if a.command == "encoder" else replay(a)


if __name__ == "__main__":
    main()

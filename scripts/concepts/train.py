#!/usr/bin/env python3
"""Distils the official MONET concept scores of MILK10k into a small CNN the pipeline can run.

Reads the concept inputs that scripts/concepts/prepare-inputs.ts made (the pipeline's own
de-identification and QC decode, so the model is trained on exactly what it will be fed), splits
them by lesion into train and validation, trains a VGG-like regressor conditioned on the image
type, writes its ONNX graph (built node by node from the trained weights, so the bytes depend only
on the weights), a manifest and a model card with Spearman rho against MONET on the validation
lesions. Run it through scripts/concepts/train.sh.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import time

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from scipy.stats import spearmanr
from torch import nn

CONCEPTS = [
    "MONET_ulceration_crust",
    "MONET_hair",
    "MONET_vasculature_vessels",
    "MONET_erythema",
    "MONET_pigmented",
    "MONET_gel_water_drop_fluid_dermoscopy_liquid",
    "MONET_skin_markings_pen_ink_purple_pen",
]
IMAGE_TYPES = ["clinical: close-up", "dermoscopic"]
# The input normalisation the manifest declares (ImageNet statistics, as MONET's own transform uses).
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
WIDTHS = [24, 48, 96, 192]
HIDDEN = 128


class ConceptNet(nn.Module):
    """Four conv-BN-ReLU blocks (the first with stride 2, 2x2 max-pool between them: cheap enough to
    train on two shared CPU cores), global mean and max pooling, and one
    small head per image type: clinical and dermoscopic images look different enough that sharing
    the features but not the read-out helps the ranking within each type."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for i, width in enumerate(WIDTHS):
            layers += [nn.Conv2d(channels, width, 3, stride=2 if i == 0 else 1, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
            if i < len(WIDTHS) - 1:
                layers.append(nn.MaxPool2d(2))
            channels = width
        self.features = nn.Sequential(*layers)
        self.heads = nn.ModuleList(
            nn.Sequential(nn.Dropout(0.2), nn.Linear(2 * channels, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, len(CONCEPTS))) for _ in IMAGE_TYPES
        )

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(x)
        return torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3))], dim=1)

    def forward(self, x: torch.Tensor, image_type: torch.Tensor) -> torch.Tensor:
        p = self.pooled(x)
        t = image_type.view(-1, 1)
        return torch.sigmoid((1 - t) * self.heads[0](p) + t * self.heads[1](p))


def load(cache: str, side: int):
    with open(os.path.join(cache, f"index-{side}.csv"), newline="") as fh:
        rows = list(csv.DictReader(fh))
    pixels = np.fromfile(os.path.join(cache, f"inputs-{side}.u8"), dtype=np.uint8).reshape(len(rows), side, side, 3)
    scores = np.array([[float(r[c]) for c in CONCEPTS] for r in rows], dtype=np.float32)
    types = np.array([IMAGE_TYPES.index(r["image_type"]) for r in rows], dtype=np.float32)
    lesions = [r["lesion_id"] for r in rows]
    return pixels, scores, types, lesions


def validation_lesion(lesion_id: str, seed: int, fraction: float) -> bool:
    """A lesion's side depends only on its id and the seed: both images of a lesion stay together,
    and adding lesions to the data never moves an existing one."""
    digest = hashlib.sha256(f"{seed}:{lesion_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def to_tensor(pixels: np.ndarray) -> torch.Tensor:
    x = torch.from_numpy(pixels).permute(0, 3, 1, 2).float() / 255
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The dihedral group: a lesion photographed turned or mirrored shows the same concepts."""
    k = int(torch.randint(0, 4, (1,), generator=generator))
    x = torch.rot90(x, k, dims=(2, 3))
    if int(torch.randint(0, 2, (1,), generator=generator)):
        x = torch.flip(x, dims=(3,))
    return x


def predict(model: ConceptNet, x: torch.Tensor, types: torch.Tensor, batch: int = 512) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i : i + batch], types[i : i + batch]) for i in range(0, len(x), batch)]).numpy()


def agreement(pred: np.ndarray, truth: np.ndarray, types: np.ndarray) -> dict:
    """Spearman rho per concept, over all images and within each image type."""
    groups = {"all": np.ones(len(types), dtype=bool)} | {t: types == i for i, t in enumerate(IMAGE_TYPES)}
    table = {}
    for group, mask in groups.items():
        rhos = {c: float(spearmanr(pred[mask, k], truth[mask, k]).statistic) for k, c in enumerate(CONCEPTS)}
        table[group] = {"images": int(mask.sum()), "rho": rhos, "mean": float(np.mean(list(rhos.values())))}
    return table


def train(args) -> None:
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(args.threads)
    pixels, scores, types, lesions = load(args.cache, args.side)
    val = np.array([validation_lesion(l, args.seed, args.validation) for l in lesions])
    x, y, t = to_tensor(pixels), torch.from_numpy(scores), torch.from_numpy(types)
    xt, yt, tt = x[~val], y[~val], t[~val]
    model = ConceptNet()
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * ((len(xt) + args.batch - 1) // args.batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=args.lr, total_steps=steps)
    generator = torch.Generator().manual_seed(args.seed)
    started = time.time()
    if args.weights:  # re-export trained weights (same split and figures) without training again
        model.load_state_dict(torch.load(args.weights))
    for epoch in range(0 if args.weights else args.epochs):
        model.train()
        order = torch.randperm(len(xt), generator=generator)
        for i in range(0, len(xt), args.batch):
            idx = order[i : i + args.batch]
            out = model(augment(xt[idx], generator), tt[idx])
            loss = nn.functional.mse_loss(out, yt[idx])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        if (epoch + 1) % 5 == 0 or epoch + 1 == args.epochs:
            table = agreement(predict(model, x[val], t[val]), scores[val], types[val])
            print(f"epoch {epoch + 1}: loss {loss.item():.4f}, validation mean rho {table['all']['mean']:.3f} "
                  f"(clinical {table[IMAGE_TYPES[0]]['mean']:.3f}, dermoscopic {table[IMAGE_TYPES[1]]['mean']:.3f}), {time.time() - started:.0f}s", flush=True)
    table = agreement(predict(model, x[val], t[val]), scores[val], types[val])
    if not args.weights:
        torch.save(model.state_dict(), os.path.join(args.cache, "last-weights.pt"))  # export can be redone without retraining
    export(model, args, table, train_lesions=len(set(np.array(lesions)[~val])), val_lesions=len(set(np.array(lesions)[val])), train_images=int((~val).sum()))


def conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> tuple[np.ndarray, np.ndarray]:
    """Folds a batch norm into the convolution before it (inference only)."""
    scale = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach()
    w = conv.weight.detach() * scale.view(-1, 1, 1, 1)
    b = (bn.bias - bn.running_mean * scale).detach()
    return w.numpy().astype(np.float32), b.numpy().astype(np.float32)


def onnx_graph(model: ConceptNet) -> onnx.ModelProto:
    nodes, inits = [], []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value, dtype=np.float32), name))
        return name

    def op(kind: str, inputs: list[str], out: str, **attrs) -> str:
        nodes.append(helper.make_node(kind, inputs, [out], name=out, **attrs))
        return out

    x = "image"
    mods = list(model.features)
    block = 0
    for i, m in enumerate(mods):
        if isinstance(m, nn.Conv2d):
            w, b = conv_bn(m, mods[i + 1])
            x = op("Conv", [x, const(f"conv{block}_w", w), const(f"conv{block}_b", b)], f"conv{block}", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=list(m.stride))
            x = op("Relu", [x], f"relu{block}")
        elif isinstance(m, nn.MaxPool2d):
            x = op("MaxPool", [x], f"pool{block}", kernel_shape=[2, 2], strides=[2, 2])
            block += 1
    mean = op("Flatten", [op("GlobalAveragePool", [x], "gap")], "gap_flat", axis=1)
    peak = op("Flatten", [op("GlobalMaxPool", [x], "gmp")], "gmp_flat", axis=1)
    pooled = op("Concat", [mean, peak], "pooled", axis=1)
    logits = []
    for h, head in enumerate(model.heads):
        fc1, fc2 = head[1], head[3]
        hid = op("Relu", [op("Gemm", [pooled, const(f"head{h}_fc1_w", fc1.weight.detach().numpy()), const(f"head{h}_fc1_b", fc1.bias.detach().numpy())], f"head{h}_fc1", transB=1)], f"head{h}_relu")
        logits.append(op("Gemm", [hid, const(f"head{h}_fc2_w", fc2.weight.detach().numpy()), const(f"head{h}_fc2_b", fc2.bias.detach().numpy())], f"head{h}_logits", transB=1))
    # image_type [N,1]: 0 clinical, 1 dermoscopic; picks the head (a blend, so it stays one graph).
    one = const("one", np.array([1.0]))
    clinical = op("Mul", [op("Sub", [one, "image_type"], "not_dermoscopic"), logits[0]], "clinical_part")
    dermoscopic = op("Mul", ["image_type", logits[1]], "dermoscopic_part")
    op("Sigmoid", [op("Add", [clinical, dermoscopic], "logits")], "concepts")
    graph = helper.make_graph(
        nodes,
        "milk10k_monet_distilled",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"]), helper.make_tensor_value_info("image_type", TensorProto.FLOAT, ["N", 1])],
        [helper.make_tensor_value_info("concepts", TensorProto.FLOAT, ["N", len(CONCEPTS)])],
        initializer=inits,
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="milk10k-concepts-train", producer_version="1")
    proto.ir_version = 8
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export(model: ConceptNet, args, table: dict, train_lesions: int, val_lesions: int, train_images: int) -> None:
    os.makedirs(args.out, exist_ok=True)
    data = onnx_graph(model.eval()).SerializeToString(deterministic=True)
    with open(os.path.join(args.out, "model.onnx"), "wb") as fh:
        fh.write(data)
    manifest = {
        "name": args.name,
        "version": args.version,
        "kind": "regressor",
        "model": "model.onnx",
        "input": {"name": "image", "side": args.side, "layout": "NCHW", "channels": "RGB", "scale": 1 / 255, "mean": MEAN, "std": STD},
        "imageType": {"name": "image_type", "values": {t: i for i, t in enumerate(IMAGE_TYPES)}},
        "output": {"name": "concepts", "columns": CONCEPTS},
        "training": {
            "data": "official MONET_* scores of MILK10k_Training_Metadata.csv (milk10k-sample and milk10k-extra)",
            "trainLesions": train_lesions,
            "trainImages": train_images,
            "validationLesions": val_lesions,
            "seed": args.seed,
            "validationFraction": args.validation,
            "epochs": args.epochs,
        },
        "agreement": {g: {"images": v["images"], "meanRho": round(v["mean"], 3), "rho": {c: round(r, 3) for c, r in v["rho"].items()}} for g, v in table.items()},
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
    with open(os.path.join(args.out, "MODEL_CARD.md"), "w") as fh:
        fh.write(model_card(manifest, len(data), sum(p.numel() for p in model.parameters())))
    print(f"wrote {args.out}: model.onnx {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:12]}")
    print(json.dumps(manifest["agreement"], indent=1))


def model_card(m: dict, size: int, params: int) -> str:
    t = m["training"]
    groups = list(m["agreement"])
    lines = [
        f"# {m['name']} {m['version']}",
        "",
        "A distilled estimate of MONET's seven concept scores, NOT MONET. MONET (a CLIP ViT-L/14 fine-tuned on",
        "dermatology literature, Kim et al., Nature Medicine 2024) scored every MILK10k training image; this",
        f"VGG-like CNN ({params:,} parameters, ONNX {size / 1e6:.2f} MB) was trained from scratch to reproduce",
        f"those scores from the pipeline's {m['input']['side']}x{m['input']['side']} concept input and the image type.",
        "",
        "## Training data",
        f"{t['data']}: {t['trainImages']:,} images of {t['trainLesions']:,} lesions. Validation: {t['validationLesions']:,} other",
        f"lesions (split by lesion id, seed {t['seed']}; both images of a lesion are on the same side). {t['epochs']} epochs, MSE on",
        "the raw scores, rotations and mirror images as augmentation. Reproduce: `scripts/concepts/train.sh`.",
        "",
        "## Agreement with MONET on the validation lesions (Spearman rho)",
        "",
        "| concept | " + " | ".join(f"{g} (n={m['agreement'][g]['images']})" for g in groups) + " |",
        "| --- |" + " --- |" * len(groups),
    ]
    for c in m["output"]["columns"]:
        lines.append(f"| {c} | " + " | ".join(f"{m['agreement'][g]['rho'][c]:.3f}" for g in groups) + " |")
    lines.append("| **mean** | " + " | ".join(f"**{m['agreement'][g]['meanRho']:.3f}**" for g in groups) + " |")
    lines += [
        "",
        "## Use and limits",
        "Its ranking of images by each concept agrees with MONET's as far as the table shows, and no further. The",
        "values are on MONET's scale but are estimates: do not treat them as MONET's output or as clinical findings.",
        "Trained only on MILK10k (two image types, the centres of the MILK study); other sources may agree less.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cache", default="/work/data/concepts-cache")
    p.add_argument("--out", default=os.path.join(repo, "activities", "concepts", "model", "monet-distilled"))
    p.add_argument("--name", default="milk10k-monet-distilled")
    p.add_argument("--version", default="1.0.0")
    p.add_argument("--side", type=int, default=64)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--validation", type=float, default=0.2)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--weights", help="export these trained weights (a last-weights.pt) instead of training")
    train(p.parse_args())


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Build ``concepts.onnx``: a tiny, deterministic, hand-designed stand-in for
the MONET concept model used by the MILK10k release pipeline.

This is NOT MONET and NOT a trained medical model. It computes a handful of
colour / texture statistics with fixed ONNX ops and maps them through a fixed,
hand-set linear layer and a Sigmoid so that the pipeline has something
realistic-looking (scores in [0, 1] that vary between images) to run. See
README.md next to this file.

Contract
    input  ``image``    float32 [N, 3, 64, 64], RGB, channel-first, values in [0, 1]
    output ``concepts`` float32 [N, 7], every value in [0, 1], columns:
        0 MONET_ulceration_crust
        1 MONET_hair
        2 MONET_vasculature_vessels
        3 MONET_erythema
        4 MONET_pigmented
        5 MONET_gel_water_drop_fluid_dermoscopy_liquid
        6 MONET_skin_markings_pen_ink_purple_pen

Rebuild (Python 3.11; the project never runs this at install time, the .onnx
file is committed):

    python3 -m venv /tmp/onnxvenv
    /tmp/onnxvenv/bin/pip install onnx==1.23.2 numpy
    /tmp/onnxvenv/bin/python activities/concepts/model/build_model.py

The output is byte-identical on every run (no timestamps, fixed producer
fields, constants written as float32 literals).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, checker, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
SIZE = 64
PRODUCER_NAME = "milk10k-concepts-proxy"
PRODUCER_VERSION = "1.0.0"
MODEL_VERSION = 1

CONCEPTS = [
    "MONET_ulceration_crust",
    "MONET_hair",
    "MONET_vasculature_vessels",
    "MONET_erythema",
    "MONET_pigmented",
    "MONET_gel_water_drop_fluid_dermoscopy_liquid",
    "MONET_skin_markings_pen_ink_purple_pen",
]

# Hand-crafted image features, in the order they are concatenated. Each is a
# scalar per image (see build_graph for the exact definition).
FEATURES = [
    "mean_luma",       # mean luminance Y = .299R + .587G + .114B
    "contrast",        # mean |Y - mean(Y)|
    "redness",         # mean of R - (G + B) / 2
    "saturation",      # mean of max(R,G,B) - min(R,G,B)
    "texture",         # mean |Laplacian(Y)|
    "dark_lines",      # mean relu(Laplacian(Y) - t): thin structures darker than surroundings (hair)
    "red_lines",       # mean relu(-Laplacian(redness) - t): thin structures redder than surroundings (vessels)
    "rel_dark",        # mean relu(mean(Y) - Y - 0.05): pixels darker than the image's own average
    "abs_dark",        # mean relu(0.45 - Y): absolutely dark pixels
    "dark_red",        # mean relu(redness - 0.2) * relu(0.5 - Y): dark red (haemorrhagic crust)
    "yellow_crust",    # mean relu(yellowness - 0.2) * relu(0.75 - Y): yellow/brown crust
    "specular",        # mean relu(min(R,G,B) - 0.75): bright, colourless pixels (highlights, gel)
    "specular_peak",   # max over 4x4 blocks of the same map: strongest highlight blob
    "purple",          # mean relu(purpleness - 0.05) * relu(B - R + 0.1): violet ink
    "purple_peak",     # max over 4x4 blocks of the same map: strongest ink blob
]

SQRT_FEATURES = {
    "texture", "dark_lines", "red_lines", "rel_dark", "abs_dark", "dark_red",
    "yellow_crust", "specular", "specular_peak", "purple", "purple_peak",
}

# Per-feature centring / scaling of the features (after the square root for
# those listed above): mean and standard deviation measured once on the 2,000
# images of the MILK10k sample, resized to 64x64 with sharp fit:'fill'. Only
# image statistics were used here, no labels.
FEATURE_MEAN = [
    0.5657, 0.06466, 0.1745, 0.2147, 0.1096, 0.03492, 0.03468, 0.1158,
    0.08702, 0.01884, 0.02777, 0.01059, 0.04016, 0.007504, 0.02208,
]
FEATURE_STD = [
    0.08117, 0.03908, 0.08418, 0.09465, 0.02298, 0.01791, 0.01455, 0.05979,
    0.07753, 0.0209, 0.03587, 0.03448, 0.09462, 0.01787, 0.04586,
]

# Hand-set weights: logit[c] = LOGIT_SCALE[c] * sum_f WEIGHTS[c][f] * z[f] + BIAS[c],
# where z is the centred/scaled feature clipped to [-Z_CLIP, Z_CLIP]. The
# relative weights (signs and rough sizes) are chosen by hand from what each
# concept looks like; the "saturation" terms (a cue for the desaturated
# dermoscopic look) were added after a glance at how the sample's MONET
# columns differ between clinical and dermoscopic images. LOGIT_SCALE / BIAS
# were then set once so that on the sample each column's logit has a standard
# deviation of about 1 and a sigmoid near the sample's mean MONET score clipped
# to [0.15, 0.40], so scores spread inside (0.05, 0.95). Nothing was fitted.
WEIGHTS = {
    # crust / ulcer: dark-red and yellow-brown crust, rough surface, small red structures, not a pigmented lesion
    "MONET_ulceration_crust": {"dark_red": 0.6, "texture": 0.6, "red_lines": 0.6, "yellow_crust": 0.3, "rel_dark": -0.3},
    # hair: thin dark lines; easiest to see on desaturated (dermoscopic) images
    "MONET_hair": {"dark_lines": 0.8, "texture": 0.4, "saturation": -0.6},
    # vessels: thin red structures, red and shiny, not pigmented; mostly resolved on desaturated (dermoscopic) images
    "MONET_vasculature_vessels": {"red_lines": 0.8, "redness": 0.3, "specular": 0.3, "rel_dark": -0.5, "saturation": -0.5},
    # erythema: diffuse redness rather than a focal dark lesion
    "MONET_erythema": {"redness": 1.0, "contrast": -0.5, "abs_dark": -0.3},
    # pigmented: darker than its own surroundings, dark overall, brown rather than red
    "MONET_pigmented": {"rel_dark": 1.0, "abs_dark": 0.5, "contrast": 0.3, "redness": -0.5},
    # gel / fluid: desaturated immersion-dermoscopy look, specular glints, blue-violet cast
    "MONET_gel_water_drop_fluid_dermoscopy_liquid": {"saturation": -0.7, "specular": 0.5, "specular_peak": 0.3, "purple": 0.3},
    # purple pen: violet ink blobs on otherwise not-so-red skin
    "MONET_skin_markings_pen_ink_purple_pen": {"purple_peak": 0.9, "purple": 0.6, "redness": -0.5},
}
Z_CLIP = 4.0
LOGIT_SCALE = [0.634, 0.838, 1.243, 0.736, 0.534, 0.87, 0.632]
BIAS = [-0.64, -0.93, -1.722, -0.62, -0.69, -1.108, -1.086]


def f32(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


class GraphBuilder:
    """Minimal helper that names every node/tensor deterministically."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._n = 0

    def const(self, name: str, value) -> str:
        self.initializers.append(numpy_helper.from_array(f32(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], name: str, **attrs) -> str:
        self._n += 1
        self.nodes.append(
            helper.make_node(op_type, inputs, [name], name=f"{op_type.lower()}_{self._n:02d}_{name}", **attrs)
        )
        return name

    # --- small composites -------------------------------------------------
    def color_map(self, name: str, rgb_weights, bias: float = 0.0) -> str:
        """1x1 Conv: per-pixel linear combination of R, G, B -> [N,1,H,W]."""
        w = self.const(f"{name}_w", f32(rgb_weights).reshape(1, 3, 1, 1))
        b = self.const(f"{name}_b", [bias])
        return self.op("Conv", ["image", w, b], name, kernel_shape=[1, 1])

    def relu_shift(self, x: str, shift: float, name: str) -> str:
        """relu(x + shift)."""
        c = self.const(f"{name}_shift", [shift])
        return self.op("Relu", [self.op("Add", [x, c], f"{name}_pre")], name)

    def gmean(self, x: str, name: str) -> str:
        """[N,1,H,W] -> [N,1] spatial mean."""
        return self.op("ReduceMean", [x], name, axes=[2, 3], keepdims=0)

    def block_peak(self, x: str, name: str) -> str:
        """[N,1,H,W] -> [N,1]: max over the 4x4-block averages."""
        pooled = self.op("AveragePool", [x], f"{name}_pool", kernel_shape=[4, 4], strides=[4, 4])
        return self.op("ReduceMax", [pooled], name, axes=[2, 3], keepdims=0)


def build_graph(expose_features: bool = False) -> onnx.GraphProto:
    g = GraphBuilder()

    # Per-pixel colour maps, [N,1,64,64] each.
    luma = g.color_map("luma", [0.299, 0.587, 0.114])
    redness = g.color_map("redness", [1.0, -0.5, -0.5])
    purpleness = g.color_map("purpleness", [0.5, -1.0, 0.5])
    yellowness = g.color_map("yellowness", [0.5, 0.5, -1.0])
    blue_minus_red = g.color_map("blue_minus_red", [-1.0, 0.0, 1.0])
    ch_max = g.op("ReduceMax", ["image"], "ch_max", axes=[1], keepdims=1)
    ch_min = g.op("ReduceMin", ["image"], "ch_min", axes=[1], keepdims=1)

    # 3x3 Laplacian (valid padding, so image borders add no artefacts):
    # positive where the centre pixel is lower than its 8 neighbours.
    lap_k = f32([[1, 1, 1], [1, -8, 1], [1, 1, 1]]) / 8.0
    lap_w = g.const("laplacian_w", lap_k.reshape(1, 1, 3, 3))
    lap_luma = g.op("Conv", [luma, lap_w], "lap_luma", kernel_shape=[3, 3])
    lap_red = g.op("Conv", [redness, lap_w], "lap_red", kernel_shape=[3, 3])

    feats: dict[str, str] = {}

    # mean_luma, contrast
    feats["mean_luma"] = g.gmean(luma, "f_mean_luma")
    luma_mean_map = g.op("ReduceMean", [luma], "luma_mean_keep", axes=[2, 3], keepdims=1)
    luma_dev = g.op("Sub", [luma, luma_mean_map], "luma_dev")
    feats["contrast"] = g.gmean(g.op("Abs", [luma_dev], "luma_absdev"), "f_contrast")

    # redness, saturation
    feats["redness"] = g.gmean(redness, "f_redness")
    feats["saturation"] = g.gmean(g.op("Sub", [ch_max, ch_min], "sat_map"), "f_saturation")

    # texture, dark_lines (hair), red_lines (vessels)
    feats["texture"] = g.gmean(g.op("Abs", [lap_luma], "lap_luma_abs"), "f_texture")
    feats["dark_lines"] = g.gmean(g.relu_shift(lap_luma, -0.02, "dark_lines_map"), "f_dark_lines")
    neg_lap_red = g.op("Neg", [lap_red], "neg_lap_red")
    feats["red_lines"] = g.gmean(g.relu_shift(neg_lap_red, -0.01, "red_lines_map"), "f_red_lines")

    # rel_dark, abs_dark (pigmented)
    neg_dev = g.op("Neg", [luma_dev], "luma_neg_dev")
    feats["rel_dark"] = g.gmean(g.relu_shift(neg_dev, -0.05, "rel_dark_map"), "f_rel_dark")
    neg_luma = g.op("Neg", [luma], "neg_luma")
    dark_gate = g.relu_shift(neg_luma, 0.5, "dark_gate")          # relu(0.5 - Y)
    feats["abs_dark"] = g.gmean(g.relu_shift(neg_luma, 0.45, "abs_dark_map"), "f_abs_dark")

    # dark_red, yellow_crust (ulceration / crust)
    red_gate = g.relu_shift(redness, -0.2, "red_gate")
    feats["dark_red"] = g.gmean(g.op("Mul", [red_gate, dark_gate], "dark_red_map"), "f_dark_red")
    yellow_gate = g.relu_shift(yellowness, -0.2, "yellow_gate")
    not_bright = g.relu_shift(neg_luma, 0.75, "not_bright")        # relu(0.75 - Y)
    feats["yellow_crust"] = g.gmean(g.op("Mul", [yellow_gate, not_bright], "crust_map"), "f_yellow_crust")

    # specular, specular_peak (gel / fluid / highlights)
    spec_map = g.relu_shift(ch_min, -0.75, "spec_map")
    feats["specular"] = g.gmean(spec_map, "f_specular")
    feats["specular_peak"] = g.block_peak(spec_map, "f_specular_peak")

    # purple, purple_peak (pen ink)
    purple_gate = g.relu_shift(purpleness, -0.05, "purple_gate")
    blue_gate = g.relu_shift(blue_minus_red, 0.1, "blue_gate")
    ink_map = g.op("Mul", [purple_gate, blue_gate], "ink_map")
    feats["purple"] = g.gmean(ink_map, "f_purple")
    feats["purple_peak"] = g.block_peak(ink_map, "f_purple_peak")

    assert sorted(feats) == sorted(FEATURES)
    # Heavy-tailed (mostly-zero) features are square-rooted so that a single
    # extreme image does not dominate; all of them are >= 0.
    ordered = [g.op("Sqrt", [feats[n]], f"{n}_sqrt") if n in SQRT_FEATURES else feats[n] for n in FEATURES]
    features = g.op("Concat", ordered, "features", axis=1)          # [N, F]

    # Centre / scale, then the hand-set linear layer and Sigmoid.
    mean = g.const("feature_mean", [FEATURE_MEAN])
    inv_std = g.const("feature_inv_std", [[1.0 / s for s in FEATURE_STD]])
    z = g.op("Mul", [g.op("Sub", [features, mean], "features_centred"), inv_std], "features_z")
    z_lo = g.const("z_min", np.float32(-Z_CLIP))
    z_hi = g.const("z_max", np.float32(Z_CLIP))
    z = g.op("Clip", [z, z_lo, z_hi], "features_z_clipped")
    w = np.zeros((len(FEATURES), len(CONCEPTS)), dtype=np.float32)  # Gemm B: [F, 7]
    for c, concept in enumerate(CONCEPTS):
        for feat, weight in WEIGHTS[concept].items():
            w[FEATURES.index(feat), c] = weight * LOGIT_SCALE[c]
    gemm_w = g.const("concept_w", w)
    gemm_b = g.const("concept_b", BIAS)
    logits = g.op("Gemm", [z, gemm_w, gemm_b], "logits")
    g.op("Sigmoid", [logits], "concepts")

    inputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, SIZE, SIZE])]
    outputs = [helper.make_tensor_value_info("concepts", TensorProto.FLOAT, ["N", len(CONCEPTS)])]
    if expose_features:  # debugging / calibration only; never used for the committed file
        outputs.append(helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", len(FEATURES)]))
        outputs.append(helper.make_tensor_value_info("features_z_clipped", TensorProto.FLOAT, ["N", len(FEATURES)]))

    return helper.make_graph(
        g.nodes,
        "milk10k_concepts_proxy",
        inputs,
        outputs,
        initializer=g.initializers,
        doc_string="Hand-designed colour/texture heuristic standing in for MONET. Not MONET, not trained.",
    )


def build_model(expose_features: bool = False) -> onnx.ModelProto:
    model = helper.make_model(
        build_graph(expose_features),
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name=PRODUCER_NAME,
        producer_version=PRODUCER_VERSION,
        doc_string="MILK10k concept-score proxy (NOT MONET). Columns: " + ", ".join(CONCEPTS),
    )
    model.ir_version = IR_VERSION
    model.model_version = MODEL_VERSION
    for key, value in (("concepts", ",".join(CONCEPTS)), ("features", ",".join(FEATURES)), ("proxy_of", "MONET (not the real model)")):
        entry = model.metadata_props.add()
        entry.key = key
        entry.value = value
    checker.check_model(model, full_check=True)
    return model


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(here, "concepts.onnx"))
    args = parser.parse_args()
    if onnx.__version__ != "1.23.2":
        print(f"warning: built with onnx {onnx.__version__}, expected 1.23.2", file=sys.stderr)
    data = build_model().SerializeToString(deterministic=True)
    with open(args.out, "wb") as fh:
        fh.write(data)
    print(f"wrote {args.out}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

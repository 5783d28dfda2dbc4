"""Regenerates the benchmark parity fixtures: truth and prediction CSVs in the MILK10k format, and
what the official ISIC scorer (isic-challenge-scoring, `classification -m dice`) reports for them.

test/unit/benchmark-parity.test.ts checks that `milk benchmark score` reports the same numbers.
Not part of CI or npm install: the official package needs Python >= 3.13 and numpy < 2.5.

    python3.13 -m venv /work/.venv-isic
    /work/.venv-isic/bin/pip install 'isic-challenge-scoring>=5.7' 'numpy<2.5'
    /work/.venv-isic/bin/python scripts/benchmark-parity/generate.py

Every case has a fixed seed, so a re-run writes the same files.
"""

import csv
import importlib.metadata
import json
import math
import pathlib
import random
import subprocess
import sys

CLASSES = ['AKIEC', 'BCC', 'BEN_OTH', 'BKL', 'DF', 'INF', 'MAL_OTH', 'MEL', 'NV', 'SCCKA', 'VASC']
# Roughly MILK10k's class shares: the official scorer needs every class present in the truth.
SHARES = [8, 40, 3, 10, 2, 2, 2, 10, 15, 6, 2]
LESIONS = 300
OUT = pathlib.Path(__file__).resolve().parents[2] / 'test' / 'fixtures' / 'benchmark-parity'


def truth_classes(rng, minimum=3, lesions=LESIONS):
    """Every class at least `minimum` times, the rest drawn by SHARES, in random order."""
    classes = [k for k in range(len(CLASSES)) for _ in range(minimum)]
    classes += rng.choices(range(len(CLASSES)), weights=SHARES, k=lesions - len(classes))
    rng.shuffle(classes)
    return classes


def rare_truth(rng):
    """A class with a single lesion and two with two, where the partial AUC's interpolation is coarsest."""
    classes = [4] + [5, 5] + [10, 10] + [k for k in range(len(CLASSES)) if k not in (4, 5, 10) for _ in range(3)]
    others = [k for k in range(len(CLASSES)) if k not in (4, 5, 10)]
    classes += rng.choices(others, weights=[SHARES[k] for k in others], k=LESIONS - len(classes))
    rng.shuffle(classes)
    return classes


def softmax(logits):
    top = max(logits)
    exps = [math.exp(x - top) for x in logits]
    return [e / sum(exps) for e in exps]


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def perfect(rng, t):
    return [0.9 if k == t else 0.01 for k in range(len(CLASSES))]


def uniform(rng, t):
    return [1 / len(CLASSES)] * len(CLASSES)


def random_scores(rng, t):
    # Independent per class, not summing to 1: several classes often pass 0.5 at once.
    return [rng.random() for _ in CLASSES]


def ties(rng, t):
    # A coarse grid, exactly 0.5 included: ties between lesions, tied top classes, values on the threshold.
    return [min(10, max(0, round(rng.gauss(6 if k == t else 3, 2)))) / 10 for k in range(len(CLASSES))]


CAPPED = {1, 3, 7, 8}  # BCC, BKL, MEL, NV


def capped(rng, t):
    # A good model whose four classes never pass 0.5 (each at most 0.45): their Dice is 0, their AUC not.
    p = softmax([rng.gauss(3 if k == t else 0, 1) for k in range(len(CLASSES))])
    return [min(x, 0.45) if k in CAPPED else x for k, x in enumerate(p)]


def strong_noisy(rng, t):
    # Independent sigmoid outputs, the true class well above the rest, and one lesion in ten confidently wrong.
    wrong = rng.randrange(len(CLASSES)) if rng.random() < 0.1 else None
    return [sigmoid(rng.gauss(2 if k == t else 4 if k == wrong else -2, 1.5)) for k in range(len(CLASSES))]


def weak(rng, t):
    return softmax([rng.gauss(0.7 if k == t else 0, 1) for k in range(len(CLASSES))])


def rare(rng, t):
    return [sigmoid(rng.gauss(1 if k == t else -1.5, 1.5)) for k in range(len(CLASSES))]


# name: (seed, truth, model, id column of the predictions, id suffix)
CASES = {
    'perfect': (1, truth_classes, perfect, 'lesion_id', ''),
    'uniform': (2, truth_classes, uniform, 'lesion_id', ''),
    'random': (3, truth_classes, random_scores, 'lesion_id', ''),
    'ties': (4, truth_classes, ties, 'lesion_id', ''),
    'capped': (5, truth_classes, capped, 'lesion_id', ''),
    'strong-noisy': (6, truth_classes, strong_noisy, 'lesion_id', ''),
    'weak': (7, truth_classes, weak, 'lesion_id', ''),
    'rare-classes': (8, rare_truth, rare, 'lesion_id', ''),
    # The official scorer takes an `image` column and strips `.jpg` from ids; the project must too.
    'image-ids': (9, truth_classes, weak, 'image', '.jpg'),
}


def number(x):
    # Shortest text that reads back as the same double, so both scorers see identical inputs.
    return repr(float(round(x, 6)))


def write_csv(path, header, rows):
    with path.open('w', newline='') as f:
        writer = csv.writer(f, lineterminator='\n')
        writer.writerow(header)
        writer.writerows(rows)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (seed, truth_of, model, id_column, suffix) in CASES.items():
        rng = random.Random(seed)
        truth = truth_of(rng)
        ids = [f'IL_{1000001 + i:07d}' for i in range(len(truth))]
        folder = OUT / name
        folder.mkdir(exist_ok=True)
        write_csv(folder / 'truth.csv', ['lesion_id', *CLASSES], [[i, *('1.0' if k == t else '0.0' for k in range(len(CLASSES)))] for i, t in zip(ids, truth)])
        write_csv(folder / 'predictions.csv', [id_column, *CLASSES], [[i + suffix, *map(number, model(rng, t))] for i, t in zip(ids, truth)])
        official = subprocess.run(
            [sys.executable, '-m', 'isic_challenge_scoring', '-o', 'json', 'classification', '-m', 'dice', folder / 'truth.csv', folder / 'predictions.csv'],
            check=True, capture_output=True, text=True,
        ).stdout
        (folder / 'official.json').write_text(json.dumps(json.loads(official), indent=2) + '\n')
        print(f'{name}: overall {json.loads(official)["overall"]:.4f}')
    versions = {p: importlib.metadata.version(p) for p in ['isic-challenge-scoring', 'numpy', 'pandas', 'scikit-learn']}
    (OUT / 'versions.json').write_text(json.dumps({'python': sys.version.split()[0], **versions}, indent=2) + '\n')


if __name__ == '__main__':
    main()

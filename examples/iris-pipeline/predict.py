#!/usr/bin/env python3
"""Classifies one iris flower with the model train.py wrote (standard library only).

    python3 predict.py 5.1 3.5 1.4 0.2
    python3 predict.py --model path/to/model.pkl 6.7 3.0 5.2 2.3

model.pkl holds only plain lists, dicts and numbers, so this file does not need
train.py. Only unpickle models you trust: pickle can run code while loading.
"""

import argparse
import math
import pickle
import sys

MODEL_FORMAT = "ghml-iris-forest/1"


def tree_proba(tree, row):
    node = tree
    while "proba" not in node:
        node = node["left"] if row[node["feature"]] <= node["threshold"] else node["right"]
    return node["proba"]


def predict_proba(model, row):
    """Class probabilities for one row: the mean of the trees' leaf frequencies."""
    sums = [0.0] * len(model["classes"])
    for tree in model["trees"]:
        for k, p in enumerate(tree_proba(tree, row)):
            sums[k] += p
    return [s / len(model["trees"]) for s in sums]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Predict the species of one iris flower.")
    parser.add_argument("--model", default="model.pkl", help="model file (default: model.pkl)")
    parser.add_argument("measurements", nargs=4, type=float, metavar="CM",
                        help="sepal length, sepal width, petal length, petal width")
    args = parser.parse_args(argv)
    if not all(math.isfinite(v) for v in args.measurements):
        print("error: measurements must be finite numbers", file=sys.stderr)
        return 2
    try:
        with open(args.model, "rb") as handle:
            model = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError) as error:
        print("error: cannot read %s: %s; run train.py first" % (args.model, error),
              file=sys.stderr)
        return 2
    if not isinstance(model, dict) or model.get("format") != MODEL_FORMAT:
        print("error: %s is not a model written by train.py" % args.model, file=sys.stderr)
        return 2
    proba = predict_proba(model, args.measurements)
    best = max(range(len(proba)), key=lambda k: (proba[k], -k))
    print(model["classes"][best])
    for name, p in zip(model["classes"], proba):
        print("  %-12s %.3f" % (name, p))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Stage `evaluate`: scores model/model.pkl on data/holdout.csv, rows train.py never saw.

Writes eval/metrics.json (holdout accuracy and per-species recall), which ghml records as
the stage run's metrics. Uses predict.py's forest code. Standard library only.
"""

import csv
import json
import os
import pickle

from predict import MODEL_FORMAT, predict_proba

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def main():
    with open("model/model.pkl", "rb") as handle:
        model = pickle.load(handle)  # our own model from the train stage
    if not isinstance(model, dict) or model.get("format") != MODEL_FORMAT:
        raise SystemExit("model/model.pkl was not written by train.py")
    with open("data/holdout.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    hits, seen, right = 0, {}, {}
    for row in rows:
        proba = predict_proba(model, [float(row[name]) for name in FEATURES])
        best = model["classes"][max(range(len(proba)), key=lambda k: (proba[k], -k))]
        species = row["species"]
        seen[species] = seen.get(species, 0) + 1
        if best == species:
            hits += 1
            right[species] = right.get(species, 0) + 1
    metrics = {"holdout_accuracy": hits / len(rows) if rows else 0.0}
    for species in sorted(seen):
        metrics["recall_%s" % species.replace("-", "_")] = right.get(species, 0) / seen[species]
    os.makedirs("eval", exist_ok=True)
    with open("eval/metrics.json", "w") as handle:
        json.dump(metrics, handle, indent=2, sort_keys=True)
    print("evaluate: holdout accuracy %.4f on %d rows" % (metrics["holdout_accuracy"], len(rows)))


if __name__ == "__main__":
    main()

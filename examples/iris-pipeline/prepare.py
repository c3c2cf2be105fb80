#!/usr/bin/env python3
"""Stage `prepare`: checks iris.csv and splits it into data/train.csv and data/holdout.csv.

Rows with a missing or non-numeric measurement are dropped (and counted); a share of each
species (`holdout` in prepare.yaml, drawn with `seed`) is kept aside for the evaluate stage.
Standard library only.
"""

import csv
import math
import os
import random

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def read_params(path="prepare.yaml"):
    """The flat `key: value` lines of prepare.yaml (comments stripped)."""
    params = {}
    with open(path) as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if ":" in line:
                key, value = line.split(":", 1)
                params[key.strip()] = value.strip()
    return params


def main():
    params = read_params()
    holdout = float(params.get("holdout", "0.2"))
    rng = random.Random(int(params.get("seed", "7")))
    with open("iris.csv", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames
        rows, dropped = [], 0
        for row in reader:
            try:
                values = [float(row[name]) for name in FEATURES]
            except (TypeError, ValueError):
                dropped += 1
                continue
            if all(math.isfinite(v) for v in values) and row.get("species"):
                rows.append(row)
            else:
                dropped += 1
    by_species = {}
    for row in rows:
        by_species.setdefault(row["species"], []).append(row)
    train, kept = [], []
    for species in sorted(by_species):
        group = by_species[species]
        rng.shuffle(group)
        cut = int(round(len(group) * holdout))
        kept.extend(group[:cut])
        train.extend(group[cut:])
    os.makedirs("data", exist_ok=True)
    for path, part in (("data/train.csv", train), ("data/holdout.csv", kept)):
        with open(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=header)
            writer.writeheader()
            writer.writerows(part)
    print("prepare: %d rows for training, %d held out, %d dropped" % (len(train), len(kept), dropped))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Random forest on Fisher's iris data, Python standard library only (3.8+).

The same experiment as the MLflow/Kubeflow comparison article (a random forest,
a 80/20 split with seed 42, accuracy), without numpy or scikit-learn, so it runs
anywhere ghml does. Run it on its own:

    python3 train.py

or as a tracked ghml run:

    ghml run -- python3 train.py

Inputs (params.yaml, iris.csv) are looked up in the working directory, then next
to this file. Outputs (metrics.json, model.pkl) go to the working directory, or
to --output-dir.
"""

import argparse
import csv
import json
import math
import os
import pickle
import random
import re
import sys
import time

try:
    import ghml_log
except ImportError:  # standalone: `ghml run` puts ghml_log on PYTHONPATH

    class _NoopLog:
        """Stands in for ghml_log when it is not importable; every call does nothing."""

        def log_param(self, key, value):
            pass

        def log_params(self, params):
            pass

        def log_metric(self, key, value, step=None):
            pass

        def log_metrics(self, metrics, step=None):
            pass

        def set_tag(self, key, value):
            pass

        def log_artifact(self, local_path, artifact_path=None):
            pass

    ghml_log = _NoopLog()


HERE = os.path.dirname(os.path.abspath(__file__))
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
LABEL = "species"
MODEL_FORMAT = "ghml-iris-forest/1"
PROBA_EPS = 1e-15  # log-loss clipping, as scikit-learn does

# name -> (default, kind, check, what the check requires)
PARAMS = {
    "n_estimators": (10, int, lambda v: 1 <= v <= 1000, "a whole number from 1 to 1000"),
    "max_depth": (5, int, lambda v: 1 <= v <= 100, "a whole number from 1 to 100"),
    "min_samples_split": (2, int, lambda v: 2 <= v <= 1000, "a whole number from 2 to 1000"),
    "test_size": (0.2, float, lambda v: 0.05 <= v <= 0.5, "a fraction from 0.05 to 0.5"),
    "random_state": (42, int, lambda v: 0 <= v < 2**32, "a whole number from 0 to 2**32-1"),
}


class InputError(Exception):
    """Bad params or data; the message names the file, the line and the fix."""


# ---------------------------------------------------------------- inputs


def parse_scalar(text):
    """A YAML scalar from the subset this reader supports: numbers, booleans, null, strings."""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def read_text_lines(path):
    try:
        with open(path, encoding="utf-8-sig") as handle:  # -sig: tolerate a spreadsheet's BOM
            return handle.read().splitlines()
    except UnicodeDecodeError as error:
        raise InputError("%s: not UTF-8 text (%s); save it as UTF-8" % (path, error.reason))


def read_flat_yaml(path):
    """Reads flat `key: value` lines (with # comments); returns {key: (value, text, line)}."""
    result = {}
    for number, line in enumerate(read_text_lines(path), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped == "---":
            continue
        where = "%s:%d" % (path, number)
        if line[0] in " \t" or stripped.startswith("- "):
            raise InputError(
                "%s: nested values are not supported here; use flat `key: value` lines" % where
            )
        key, sep, rest = line.partition(":")
        key = key.strip()
        if not sep or not key:
            raise InputError("%s: expected `key: value`, got %r" % (where, line))
        comment = re.search(r"\s#", rest)
        if comment:
            rest = rest[: comment.start()]
        if key in result:
            raise InputError("%s: %r is set twice; keep one of the lines" % (where, key))
        result[key] = (parse_scalar(rest.strip()), rest.strip(), number)
    return result


def load_params(path):
    """The training params, params.yaml values over the defaults, each checked; and each as
    text: as written in the file (`0.20` stays `0.20`), which is how ghml records params.yaml,
    so logging them again through ghml_log never conflicts with the file's values."""
    raw = read_flat_yaml(path) if path else {}
    for key in raw:
        if key not in PARAMS:
            print(
                "warning: %s:%d: unknown param %r ignored (known: %s)"
                % (path, raw[key][2], key, ", ".join(PARAMS)),
                file=sys.stderr,
            )
    params, texts = {}, {}
    for name, (default, kind, check, rule) in PARAMS.items():
        if name not in raw:
            params[name] = default
            texts[name] = str(default)
            continue
        value, texts[name], line = raw[name]
        if kind is int and isinstance(value, float) and value.is_integer():
            value = int(value)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if kind is int:
            ok = ok and isinstance(value, int)
        if not ok or not check(value):
            raise InputError("%s:%d: %s must be %s, got %r" % (path, line, name, rule, value))
        params[name] = kind(value)
    return params, texts


def load_iris(path):
    """Rows of four floats and the list of species names, from a headed CSV file."""
    rows, labels = [], []
    reader = csv.reader(read_text_lines(path))
    header = next(reader, None)
    if header != FEATURES + [LABEL]:
        expected = ",".join(FEATURES + [LABEL])
        raise InputError("%s:1: expected the header %r, got %r" % (path, expected, header))
    for record in reader:
        where = "%s:%d" % (path, reader.line_num)
        if not record:
            continue
        if len(record) != len(FEATURES) + 1:
            raise InputError("%s: expected 5 fields, got %d" % (where, len(record)))
        try:
            values = [float(field) for field in record[:4]]
        except ValueError:
            raise InputError("%s: the 4 measurements must be numbers, got %r" % (where, record))
        if not all(math.isfinite(v) for v in values):
            raise InputError("%s: the measurements must be finite, got %r" % (where, record))
        if not record[4].strip():
            raise InputError("%s: the species is empty" % where)
        rows.append(values)
        labels.append(record[4].strip())
    species = len(set(labels))
    if species < 2:
        raise InputError("%s: need at least 2 species to classify, got %d" % (path, species))
    return rows, labels


def stratified_split(labels, test_size, rng):
    """Train and test indices, each class split in the same proportion."""
    train, test = [], []
    for label in sorted(set(labels)):
        members = [i for i, name in enumerate(labels) if name == label]
        rng.shuffle(members)
        n_test = int(round(test_size * len(members)))
        n_test = min(max(n_test, 1), len(members) - 1)
        if n_test < 1:
            raise InputError("species %r has only one row; it needs two to split" % label)
        test.extend(members[:n_test])
        train.extend(members[n_test:])
    return sorted(train), sorted(test)


# ---------------------------------------------------------------- the forest


def best_split(X, y, idx, feature, n_classes):
    """The best threshold on one feature by Gini: (score, threshold), or None.

    The score is sum(count^2)/n over both children; higher means purer children.
    """
    order = sorted(idx, key=lambda i: X[i][feature])
    total = [0] * n_classes
    for i in order:
        total[y[i]] += 1
    left = [0] * n_classes
    n = len(order)
    best = None
    for pos in range(n - 1):
        left[y[order[pos]]] += 1
        here, after = X[order[pos]][feature], X[order[pos + 1]][feature]
        if here == after:
            continue
        n_left = pos + 1
        n_right = n - n_left
        score = sum(c * c for c in left) / n_left + sum(
            (t - c) * (t - c) for t, c in zip(total, left)
        ) / n_right
        if best is None or score > best[0]:
            best = (score, (here + after) / 2.0)
    return best


def build_tree(X, y, idx, depth, params, n_classes, max_features, rng):
    """A CART tree as nested dicts: {"proba": [...]} leaves, split nodes otherwise."""
    counts = [0] * n_classes
    for i in idx:
        counts[y[i]] += 1
    n = len(idx)
    leaf = {"proba": [c / n for c in counts]}
    if max(counts) == n or depth >= params["max_depth"] or n < params["min_samples_split"]:
        return leaf
    parent_score = sum(c * c for c in counts) / n
    features = list(range(len(X[0])))
    rng.shuffle(features)
    chosen = None
    # Like scikit-learn, keep drawing features past max_features until one can split.
    for tried, feature in enumerate(features):
        if tried >= max_features and chosen is not None:
            break
        found = best_split(X, y, idx, feature, n_classes)
        if found and found[0] > parent_score + 1e-12 and (chosen is None or found[0] > chosen[0]):
            chosen = (found[0], feature, found[1])
    if chosen is None:
        return leaf
    _, feature, threshold = chosen
    left = [i for i in idx if X[i][feature] <= threshold]
    right = [i for i in idx if X[i][feature] > threshold]
    return {
        "feature": feature,
        "threshold": threshold,
        "left": build_tree(X, y, left, depth + 1, params, n_classes, max_features, rng),
        "right": build_tree(X, y, right, depth + 1, params, n_classes, max_features, rng),
    }


def tree_proba(tree, row):
    node = tree
    while "proba" not in node:
        node = node["left"] if row[node["feature"]] <= node["threshold"] else node["right"]
    return node["proba"]


def fit_forest(X, y, n_classes, params, rng):
    """Bootstrap-sampled trees with sqrt(n_features) candidate features per split."""
    max_features = max(1, int(math.sqrt(len(X[0]))))
    trees = []
    for _ in range(params["n_estimators"]):
        sample = [rng.randrange(len(X)) for _ in range(len(X))]
        trees.append(build_tree(X, y, sample, 0, params, n_classes, max_features, rng))
    return trees


# ---------------------------------------------------------------- metrics


def argmax(values):
    return max(range(len(values)), key=lambda k: (values[k], -k))


def accuracy(y_true, y_pred):
    return sum(1 for t, p in zip(y_true, y_pred) if t == p) / len(y_true)


def f1_macro(y_true, y_pred, n_classes):
    scores = []
    for k in range(n_classes):
        tp = sum(1 for t, p in zip(y_true, y_pred) if t == k and p == k)
        fp = sum(1 for t, p in zip(y_true, y_pred) if t != k and p == k)
        fn = sum(1 for t, p in zip(y_true, y_pred) if t == k and p != k)
        scores.append(0.0 if tp == 0 else 2.0 * tp / (2 * tp + fp + fn))
    return sum(scores) / n_classes


def log_loss(y_true, probas):
    total = 0.0
    for t, proba in zip(y_true, probas):
        p = min(max(proba[t], PROBA_EPS), 1.0 - PROBA_EPS)
        total -= math.log(p)
    return total / len(y_true)


# ---------------------------------------------------------------- outputs


def write_atomic(path, data):
    """Writes the whole file or nothing: a crash never leaves a half-written output."""
    tmp = "%s.%d.%s.tmp" % (path, os.getpid(), os.urandom(4).hex())
    try:
        with open(tmp, "xb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def find_input(name, explicit):
    if explicit:
        return explicit
    return name if os.path.exists(name) else os.path.join(HERE, name)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train a random forest on iris (stdlib only).")
    parser.add_argument("--params", help="params file (default: params.yaml)")
    parser.add_argument("--data", help="iris CSV file (default: iris.csv)")
    parser.add_argument("--output-dir", default=".", help="where metrics.json and model.pkl go")
    args = parser.parse_args(argv)

    params_path = find_input("params.yaml", args.params)
    data_path = find_input("iris.csv", args.data)
    try:
        has_params = args.params or os.path.exists(params_path)
        params, param_texts = load_params(params_path if has_params else None)
        rows, names = load_iris(data_path)
    except OSError as error:
        print("error: cannot read %s: %s" % (error.filename, error.strerror), file=sys.stderr)
        return 2
    except (InputError, csv.Error) as error:
        print("error: %s" % error, file=sys.stderr)
        return 2
    if not os.path.isdir(args.output_dir):
        print(
            "error: output folder %r does not exist; create it first" % args.output_dir,
            file=sys.stderr,
        )
        return 2

    classes = sorted(set(names))
    y = [classes.index(name) for name in names]
    rng = random.Random(params["random_state"])
    try:
        train_idx, test_idx = stratified_split(names, params["test_size"], rng)
    except InputError as error:
        print("error: %s: %s" % (data_path, error), file=sys.stderr)
        return 2
    X_train = [rows[i] for i in train_idx]
    y_train = [y[i] for i in train_idx]
    X_test = [rows[i] for i in test_idx]
    y_test = [y[i] for i in test_idx]

    ghml_log.log_params(param_texts)
    ghml_log.set_tag("model_type", "random_forest")
    ghml_log.set_tag("framework", "python-stdlib")

    started = time.perf_counter()
    trees = fit_forest(X_train, y_train, len(classes), params, rng)
    train_time = round(time.perf_counter() - started, 4)

    # Learning curve: the forest of the first k trees, k = 1..n_estimators.
    sums = [[0.0] * len(classes) for _ in X_test]
    for k, tree in enumerate(trees, start=1):
        for row_sums, row in zip(sums, X_test):
            for c, p in enumerate(tree_proba(tree, row)):
                row_sums[c] += p
        probas = [[s / k for s in row_sums] for row_sums in sums]
        predictions = [argmax(p) for p in probas]
        ghml_log.log_metrics(
            {"accuracy": accuracy(y_test, predictions), "log_loss": log_loss(y_test, probas)},
            step=k,
        )

    metrics = {
        "accuracy": accuracy(y_test, predictions),
        "f1_macro": f1_macro(y_test, predictions, len(classes)),
        "log_loss": log_loss(y_test, probas),
        "train_time_seconds": train_time,
    }
    ghml_log.log_metrics({"f1_macro": metrics["f1_macro"], "train_time_seconds": train_time})

    model = {
        "format": MODEL_FORMAT,
        "features": list(FEATURES),
        "classes": classes,
        "params": dict(params),
        "trees": trees,
    }
    metrics_path = os.path.normpath(os.path.join(args.output_dir, "metrics.json"))
    model_path = os.path.normpath(os.path.join(args.output_dir, "model.pkl"))
    write_atomic(metrics_path, (json.dumps(metrics, indent=2) + "\n").encode("utf-8"))
    # Protocol 4 keeps the bytes identical across Python 3.8 to 3.14 for the same model.
    write_atomic(model_path, pickle.dumps(model, protocol=4))
    ghml_log.log_artifact(model_path)

    print(
        "iris random forest: %d trees, max depth %d, %d train / %d test rows -> "
        "accuracy %.4f, f1_macro %.4f, log_loss %.4f"
        % (
            params["n_estimators"],
            params["max_depth"],
            len(train_idx),
            len(test_idx),
            metrics["accuracy"],
            metrics["f1_macro"],
            metrics["log_loss"],
        )
    )
    # Katib-style lines, for `stdout_metrics: true` or any collector that greps stdout.
    for key in ("accuracy", "f1_macro", "log_loss"):
        print("%s=%.4f" % (key, metrics[key]))
    # Timing varies between runs, so it goes to stderr and stdout stays reproducible.
    print("trained in %.3f s" % train_time, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

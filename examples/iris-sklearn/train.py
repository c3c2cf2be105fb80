#!/usr/bin/env python3
"""The article's scikit-learn iris example, logging to ghml where it logged to MLflow.

    pip install -r requirements.txt
    ghml run -- python3 train.py

Reads params.yaml, writes metrics.json and model.pkl into the working directory.
"""

import json
import pickle
import sys
import time

import numpy as np
import yaml
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score, log_loss
from sklearn.model_selection import train_test_split

try:
    import ghml_log
except ImportError:  # standalone: `ghml run` puts ghml_log on PYTHONPATH

    class _NoopLog:
        """Stands in for ghml_log when it is not importable; every call does nothing."""

        def log_param(self, key, value):
            pass

        def log_params(self, params):
            pass

        def log_metrics(self, metrics, step=None):
            pass

        def log_metric(self, key, value, step=None):
            pass

        def set_tag(self, key, value):
            pass

        def log_artifact(self, local_path, artifact_path=None):
            pass

    ghml_log = _NoopLog()


def main():
    with open("params.yaml", encoding="utf-8") as handle:
        params = yaml.safe_load(handle)

    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=params["test_size"], random_state=params["random_state"]
    )

    clf = RandomForestClassifier(
        n_estimators=params["n_estimators"],
        max_depth=params["max_depth"],
        min_samples_split=params["min_samples_split"],
        random_state=params["random_state"],
    )
    # mlflow.log_param("n_estimators", 10) needs no call here: ghml records params.yaml itself,
    # exactly as written. log_param is for values that are not in it, like these defaults.
    ghml_log.log_params({"criterion": clf.criterion, "max_features": str(clf.max_features)})
    ghml_log.set_tag("model_type", "random_forest")
    ghml_log.set_tag("framework", "scikit-learn")
    started = time.perf_counter()
    clf.fit(X_train, y_train)
    train_time = round(time.perf_counter() - started, 4)

    # Learning curve: the forest of the first k trees is the mean of their probabilities,
    # exactly what RandomForestClassifier.predict_proba computes for all of them.
    proba_sum = np.zeros((len(X_test), len(clf.classes_)))
    for k, tree in enumerate(clf.estimators_, start=1):
        proba_sum += tree.predict_proba(X_test)
        proba = proba_sum / k
        ghml_log.log_metrics(
            {
                "accuracy": accuracy_score(y_test, clf.classes_[proba.argmax(axis=1)]),
                "log_loss": log_loss(y_test, proba, labels=clf.classes_),
            },
            step=k,
        )

    # mlflow.log_metric("accuracy", accuracy)
    y_pred = clf.predict(X_test)
    accuracy = accuracy_score(y_test, y_pred)
    metrics = {
        "accuracy": float(accuracy),
        "f1_macro": float(f1_score(y_test, y_pred, average="macro")),
        "log_loss": float(log_loss(y_test, clf.predict_proba(X_test), labels=clf.classes_)),
        "train_time_seconds": train_time,
    }
    ghml_log.log_metrics({"f1_macro": metrics["f1_macro"], "train_time_seconds": train_time})
    with open("metrics.json", "w", encoding="utf-8") as handle:
        json.dump(metrics, handle, indent=2)
        handle.write("\n")

    # mlflow.sklearn.log_model(clf, "model"): a pickle, which KServe's sklearn server loads.
    with open("model.pkl", "wb") as handle:
        pickle.dump(clf, handle)
    ghml_log.log_artifact("model.pkl")

    print("Accuracy: %.4f" % accuracy)
    for key in ("accuracy", "f1_macro", "log_loss"):
        print("%s=%.4f" % (key, metrics[key]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

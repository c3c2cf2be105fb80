"""Log params, metrics, tags and artifacts to ghml from Python (stdlib only, Python 3.8+).

``ghml run -- python train.py`` sets ``GHML_EVENTS`` (a JSONL events file, see
docs/event-format.md) and ``GHML_ARTIFACTS_DIR``; this module appends events to that file.
Without ``GHML_EVENTS`` every call is a no-op, so training code runs unchanged outside ghml.

    import ghml_log as ghml
    ghml.log_params({"lr": 0.01, "epochs": 10})
    for epoch in range(10):
        ghml.log_metric("loss", loss, step=epoch)
    ghml.log_artifact("model.pkl")

MLflow's fluent names work too, with MLflow's semantics where the events file can hold them:
``start_run()`` (a context manager yielding the run), ``active_run()``, ``set_tags``,
``log_dict``, ``log_text`` and ``log_artifacts``.

Names and values follow MLflow's rules and are checked here, raising ValueError early.
Events are buffered and written as whole lines with one ``os.write`` on an ``O_APPEND``
descriptor (under ``fcntl.flock`` where available), so threads and processes can log at the
same time. Metric points are written in columns (``metric_batch`` lines) for throughput. The
buffer is flushed at 8192 points or 64 KiB of other events, when a call comes a second or
more after the last flush, on ``flush()``, at exit (also in multiprocessing's fork children),
before ``os.fork``, and on SIGTERM (when no other handler was installed). A process killed
with SIGKILL loses at most its unflushed buffer.
"""

import atexit
import json
import math
import numbers
import os
import posixpath
import re
import shutil
import signal
import threading
import time
from threading import get_ident

try:
    import fcntl
except ImportError:  # Windows: O_APPEND alone keeps lines whole
    fcntl = None

__all__ = [
    "active",
    "active_run",
    "end_run",
    "flush",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "set_tag",
    "set_tags",
    "start_run",
]

MAX_PARAM_VALUE = 6000
MAX_TAG_VALUE = 5000
_KEY_RE = re.compile(r"^[A-Za-z0-9_.\- /]{1,250}$")
_FLUSH_BYTES = 64 * 1024
_FLUSH_POINTS = 8192
_now = time.time
_FLUSH_SECONDS = 1.0
_INF = float("inf")
# Compact, ASCII-only JSON; allow_nan=False because non-finite values are already strings.
_dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def _key_problem(key):
    if not isinstance(key, str):
        return "must be a string"
    if not _KEY_RE.match(key):
        if len(key) == 0:
            return "must not be empty"
        if len(key) > 250:
            return "must be at most 250 characters"
        return "may only contain letters, digits, '_', '-', '.', ' ' and '/'"
    if key.startswith("/"):
        return "must not start with '/'"
    if key.endswith("/"):
        return "must not end with '/'"
    if "//" in key:
        return "must not contain '//'"
    for segment in key.split("/"):
        if segment in (".", ".."):
            return "must not contain '%s' segments" % segment
    return None


class _Logger:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.buf = []  # whole lines (params, tags, artifacts)
        self.size = 0
        self.points = []  # (key, value, step or None, timestamp ms), written as metric_batch
        self.last_flush = time.time()
        self.fd = None
        self.params = {}
        self.params_lock = threading.Lock()  # never taken by the SIGTERM handler
        self.keys = set()  # metric keys already validated
        self.main_ident = threading.main_thread().ident
        # Set by the main thread while it waits for or holds the lock, so a SIGTERM handler
        # (which runs on the main thread) knows not to take the lock itself.
        self.in_main = False
        self.term_pending = False
        self.terminating = False

    # -- validation ---------------------------------------------------------------------

    def check_key(self, key, kind):
        problem = _key_problem(key)
        if problem is not None:
            raise ValueError("Invalid %s key %r: %s." % (kind, key, problem))

    def metric_key(self, key):
        if key not in self.keys:
            self.check_key(key, "metric")
            self.keys.add(key)

    # -- writing --------------------------------------------------------------------------

    def locked(self, work):
        """Runs ``work()`` under the lock; a SIGTERM that arrived meanwhile is handled after."""
        main = threading.get_ident() == self.main_ident
        if main:
            self.in_main = True
        self.lock.acquire()
        try:
            work()
        finally:
            self.lock.release()
            if main:
                self.in_main = False
                if self.term_pending:
                    self.terminate()

    def append(self, line, now):
        def work():
            self.buf.append(line)
            self.size += len(line)
            if self.size >= _FLUSH_BYTES or now - self.last_flush >= _FLUSH_SECONDS:
                self.flush_locked(now)

        self.locked(work)

    def add_point(self, point, now):
        def work():
            self.points.append(point)
            if len(self.points) >= _FLUSH_POINTS or now - self.last_flush >= _FLUSH_SECONDS:
                self.flush_locked(now)

        self.locked(work)

    def flush(self):
        self.locked(lambda: self.flush_locked(time.time()))

    def flush_locked(self, now):
        self.last_flush = now
        if not self.buf and not self.points:
            return
        if self.points:
            keys, values, steps, stamps = zip(*self.points)
            self.buf.append(
                _dumps(
                    {
                        "type": "metric_batch",
                        "keys": keys,
                        "values": values,
                        "steps": steps,
                        "timestamps": stamps,
                    }
                )
                + "\n"
            )
            self.points = []
        data = "".join(self.buf).encode("utf-8")
        self.buf = []
        self.size = 0
        if self.fd is None:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
            self.fd = os.open(self.path, flags, 0o644)
        fd = self.fd
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)

    # -- process lifecycle ----------------------------------------------------------------

    def after_fork_in_child(self):
        # The child must not write the parent's buffer again, and needs its own descriptor:
        # flock locks belong to the open file description, which parent and child would share.
        self.lock = threading.Lock()
        self.buf = []
        self.size = 0
        self.points = []
        self.fd = None
        self.main_ident = threading.get_ident()
        self.in_main = False

    def on_sigterm(self, signum, frame):
        if self.in_main:
            # The main thread was interrupted inside append/flush: finish that call first.
            self.term_pending = True
            return
        self.terminate()

    def terminate(self):
        if self.terminating:
            return
        self.terminating = True
        self.term_pending = False
        try:
            self.flush()
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)


_logger = None
_init_lock = threading.Lock()


def _get():
    """The active logger, or None when GHML_EVENTS is unset (every call is then a no-op)."""
    global _logger
    if _logger is not None:
        return _logger
    path = os.environ.get("GHML_EVENTS")
    if not path:
        return None
    with _init_lock:
        if _logger is None:
            logger = _Logger(path)
            atexit.register(logger.flush)
            if hasattr(os, "register_at_fork"):
                os.register_at_fork(
                    before=logger.flush, after_in_child=logger.after_fork_in_child
                )
            _install_sigterm(logger)
            _register_multiprocessing(logger)
            _logger = logger
    return _logger


def _install_sigterm(logger):
    # Only where nobody else handles SIGTERM, and only from the main thread (Python's rule).
    if not hasattr(signal, "SIGTERM"):
        return
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, logger.on_sigterm)
    except (ValueError, OSError):
        pass


def _register_multiprocessing(logger):
    # multiprocessing's fork children leave through os._exit, which skips atexit; its own
    # finalizers do run, so register one in each such child.
    try:
        from multiprocessing import util as mp_util
    except ImportError:
        return

    def in_child(lg):
        mp_util.Finalize(None, lg.flush, exitpriority=100)

    mp_util.register_after_fork(logger, in_child)


def _value(key, value):
    """A metric value as stored: a finite float/int, or "NaN"/"Infinity"/"-Infinity"."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            "metric %r value must be a number, got %r (%s)" % (key, value, type(value).__name__)
        )
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _step(key, step):
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise ValueError("metric %r step must be an integer, got %r" % (key, step))
    return int(step)


def active():
    """True when ghml is collecting this run's events (GHML_EVENTS is set)."""
    return _get() is not None


def log_metric(key, value, step=None, timestamp=None):
    """Logs one metric point. Without ``step`` ghml uses 1 + the key's highest step so far."""
    lg = _logger or _get()
    if lg is None:
        return
    if key not in lg.keys:
        lg.metric_key(key)
    t = type(value)
    if not ((t is float or t is int) and -_INF < value < _INF):
        value = _value(key, value)
    if step is not None and type(step) is not int:
        step = _step(key, step)
    now = _now()
    point = (key, value, step, int(now * 1000) if timestamp is None else int(timestamp))
    # Logger.locked + add_point inlined: this is the hot path (keep the two in step).
    main = get_ident() == lg.main_ident
    if main:
        lg.in_main = True
    lg.lock.acquire()
    try:
        points = lg.points
        points.append(point)
        if len(points) >= _FLUSH_POINTS or now - lg.last_flush >= _FLUSH_SECONDS:
            lg.flush_locked(now)
    finally:
        lg.lock.release()
        if main:
            lg.in_main = False
            if lg.term_pending:
                lg.terminate()


def log_metrics(metrics, step=None, timestamp=None):
    """Logs several metrics at once, sharing one step and timestamp."""
    lg = _get()
    if lg is None:
        return
    points = []
    now = time.time()
    ts = int(now * 1000) if timestamp is None else int(timestamp)
    if step is not None:
        step = _step("(batch)", step)
    for key, value in metrics.items():
        lg.metric_key(key)
        points.append((key, _value(key, value), step, ts))
    for point in points:
        lg.add_point(point, now)


def log_param(key, value):
    """Logs a param (stored as ``str(value)``). Params cannot change once logged in a run."""
    lg = _get()
    if lg is None:
        return
    lg.check_key(key, "param")
    text = str(value)
    if len(text) > MAX_PARAM_VALUE:
        raise ValueError(
            "param %r value is %d characters; params are at most %d"
            % (key, len(text), MAX_PARAM_VALUE)
        )
    with lg.params_lock:
        previous = lg.params.get(key)
        if previous is not None and previous != text:
            raise ValueError(
                "param %r was already logged as %r; params are immutable within a run: "
                "log a new key or start a new run" % (key, previous)
            )
        lg.params[key] = text
    if previous is None:
        line = json.dumps({"type": "param", "key": key, "value": text}) + "\n"
        lg.append(line, time.time())


def log_params(params):
    """Logs every item of a dict as a param."""
    for key, value in params.items():
        log_param(key, value)


def set_tag(key, value):
    """Sets a tag (stored as ``str(value)``); a later value replaces an earlier one."""
    lg = _get()
    if lg is None:
        return
    lg.check_key(key, "tag")
    text = str(value)
    if len(text) > MAX_TAG_VALUE:
        raise ValueError(
            "tag %r value is %d characters; tags are at most %d" % (key, len(text), MAX_TAG_VALUE)
        )
    lg.append(json.dumps({"type": "tag", "key": key, "value": text}) + "\n", time.time())


def log_artifact(local_path, artifact_path=None):
    """Copies a file (or a folder) into GHML_ARTIFACTS_DIR[/artifact_path] and logs it.

    Returns the artifact paths logged (relative to the artifacts folder), or [] when inactive.
    """
    lg = _get()
    if lg is None:
        return []
    root = os.environ.get("GHML_ARTIFACTS_DIR")
    if not root:
        raise ValueError("GHML_ARTIFACTS_DIR is not set; run the command with `ghml run --`")
    base = posixpath.basename(os.path.normpath(local_path).replace(os.sep, "/"))
    if artifact_path:
        base = artifact_path.strip("/") + "/" + base
    if os.path.isdir(local_path):
        pairs = []
        for folder, _dirs, files in os.walk(local_path):
            rel = os.path.relpath(folder, local_path).replace(os.sep, "/")
            for name in sorted(files):
                target = base + "/" + name if rel == "." else base + "/" + rel + "/" + name
                pairs.append((os.path.join(folder, name), target))
    elif os.path.isfile(local_path):
        pairs = [(local_path, base)]
    else:
        raise ValueError("artifact %r is not a file or folder" % (local_path,))
    for _src, target in pairs:
        problem = _key_problem(target)
        if problem is not None:
            raise ValueError("Invalid artifact path %r: %s." % (target, problem))
    lines = []
    for src, target in pairs:
        dest = os.path.join(root, *target.split("/"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(src, dest)
        lines.append(json.dumps({"type": "artifact", "path": target}) + "\n")
    if lines:
        lg.append("".join(lines), time.time())
    return [target for _src, target in pairs]


def set_tags(tags):
    """Sets every item of a dict as a tag (MLflow's ``set_tags``)."""
    for key, value in tags.items():
        set_tag(key, value)


def _artifact_target(artifact_file):
    target = str(artifact_file).replace(os.sep, "/").strip("/")
    problem = _key_problem(target)
    if problem is not None:
        raise ValueError("Invalid artifact path %r: %s." % (artifact_file, problem))
    return target


def _write_artifact(lg, artifact_file, data):
    """Writes bytes to GHML_ARTIFACTS_DIR/<artifact_file> atomically and logs the artifact."""
    target = _artifact_target(artifact_file)
    root = os.environ.get("GHML_ARTIFACTS_DIR")
    if not root:
        raise ValueError("GHML_ARTIFACTS_DIR is not set; run the command with `ghml run --`")
    dest = os.path.join(root, *target.split("/"))
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    tmp = "%s.%d.%d.tmp" % (dest, os.getpid(), get_ident())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, dest)
    lg.append(json.dumps({"type": "artifact", "path": target}) + "\n", time.time())
    return target


def log_text(text, artifact_file):
    """Saves ``text`` as the artifact ``artifact_file`` (e.g. "notes/summary.txt"), UTF-8."""
    lg = _get()
    if lg is None:
        return None
    if not isinstance(text, str):
        raise ValueError("log_text takes a str, got %s" % type(text).__name__)
    return _write_artifact(lg, artifact_file, text.encode("utf-8"))


def log_dict(dictionary, artifact_file):
    """Saves a dict as the artifact ``artifact_file``: JSON, which YAML readers read too."""
    lg = _get()
    if lg is None:
        return None
    text = json.dumps(dictionary, indent=2, sort_keys=False, default=str) + "\n"
    return _write_artifact(lg, artifact_file, text.encode("utf-8"))


def log_artifacts(local_dir, artifact_path=None):
    """Copies the contents of ``local_dir`` (not the folder itself) under ``artifact_path``.

    As MLflow's ``log_artifacts``: ``log_artifacts("out")`` logs out/a.txt as "a.txt".
    Returns the artifact paths logged, or [] when inactive.
    """
    lg = _get()
    if lg is None:
        return []
    if not os.path.isdir(local_dir):
        raise ValueError("artifact folder %r is not a folder" % (local_dir,))
    logged = []
    for name in sorted(os.listdir(local_dir)):
        logged.extend(log_artifact(os.path.join(local_dir, name), artifact_path))
    return logged


class _RunInfo:
    def __init__(self, run_id, run_name, experiment_name):
        self.run_id = run_id
        self.run_name = run_name
        self.experiment_name = experiment_name

    def __repr__(self):
        return "<RunInfo: run_id=%r, experiment_name=%r>" % (self.run_id, self.experiment_name)


class ActiveRun:
    """What ``start_run`` returns: ``.info.run_id`` is the ghml run; usable with ``with``."""

    def __init__(self, info, nested):
        self.info = info
        self._nested = nested

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        end_run()
        return False


_runs = []
_runs_lock = threading.Lock()


def start_run(run_id=None, run_name=None, nested=False, tags=None, description=None, **_ignored):
    """Starts (or, in MLflow's terms, resumes) the ghml run, as MLflow's ``start_run``.

    Under ``ghml run`` there is one run per command: this returns it, sets ``run_name`` as the
    tag ``mlflow.runName`` and ``tags`` as tags, and flushes when the ``with`` block ends. As in
    MLflow, starting a run while one is active needs ``nested=True``; a nested run logs into
    the same ghml run (for separate nested runs, use the MLflow client under ``ghml run``).
    Outside ``ghml run`` it returns a run with ``run_id`` None and logs nothing.
    """
    with _runs_lock:
        if _runs and not nested:
            raise ValueError(
                "Run with UUID %s is already active. To start a nested run, call start_run "
                "with nested=True" % (_runs[-1].info.run_id,)
            )
        own = os.environ.get("GHML_RUN_ID") if _get() is not None else None
        if run_id is not None and own is not None and run_id != own:
            raise ValueError(
                "run_id %r is not this process's ghml run %r; ghml_log logs to its own run only"
                % (run_id, own)
            )
        run = ActiveRun(_RunInfo(own, run_name, os.environ.get("GHML_EXPERIMENT")), nested)
        _runs.append(run)
    try:
        if run_name is not None and not nested:
            set_tag("mlflow.runName", run_name)
        if description is not None:
            set_tag("mlflow.note.content", description)
        if tags:
            set_tags(tags)
    except Exception:
        with _runs_lock:
            _runs.remove(run)
        raise
    return run


def active_run():
    """The run started with ``start_run`` and not yet ended, or None."""
    with _runs_lock:
        return _runs[-1] if _runs else None


def end_run(status="FINISHED"):
    """Ends the innermost run started with ``start_run`` and flushes.

    The ghml run itself ends with the command: its status comes from the exit code.
    """
    with _runs_lock:
        if _runs:
            _runs.pop()
    flush()


def flush():
    """Writes buffered events now (also done automatically; see the module docstring)."""
    lg = _logger
    if lg is not None:
        lg.flush()


# Install the SIGTERM handler at import time when possible (import usually runs on the main
# thread, while the first log call might not).
if os.environ.get("GHML_EVENTS"):
    _get()

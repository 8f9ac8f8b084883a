"""Batch extraction on a dask.distributed cluster (``fazhi extract --scheduler``).

The client does what needs the inputs and OUT; the workers do the NLP:

- the client hashes every input (the resume key, as in a local run), reads
  its bytes and ships them with the task. Workers never open input paths, so
  they need no shared filesystem and no agreement on the current directory;
  the hash and the text come from the same machine. A worker decodes the
  bytes with the same reader (``read.parse_document``), so every reason for a
  bad input is the one a local run gives;
- the model directory is shipped once per worker, as a tar archive inside a
  ``WorkerPlugin`` (workers that join or restart later get it from the
  scheduler), loaded there once, and used for every document that worker
  gets. Shipping rather than loading a path the workers see means a worker
  can never run a different model that happens to sit at the same path;
- each task is one document through ``document.process_job`` — the same
  function a local run calls — so the line is the same
  whichever path made it;
- results stream back (``as_completed``) and ``pipeline.batch.extract.extract``
  writes them: documents.jsonl appended and flushed per document, text
  copies, the final in-input-order rewrite, the tables, ``--resume``.

A worker that dies mid-document (killed, out of memory) loses nothing: the
scheduler runs its tasks again elsewhere. At most ``window`` documents are in
flight at once, so the client holds a bounded number of inputs in memory.
"""
from __future__ import annotations

import asyncio
import importlib.metadata
import io
import os
import re
import shutil
import tarfile
import tempfile
import threading
import time
import uuid
from collections import deque
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import dask
from distributed import Client, LocalCluster, WorkerPlugin, as_completed, get_worker

from pipeline.batch.document import DEFAULT_MAX_CHARS, Job, Options, process_job, read_job_bytes
from pipeline.batch.extract import ExtractSummary, Progress, UsageError, extract

LOCAL = re.compile(r"local(?::(\d+))?")
PACKAGES = ("fazhi-ie", "spacy", "spacy-pkuseg", "jieba")
WAIT_FOR_WORKERS = 60  # seconds; connecting itself uses dask's distributed.comm.timeouts.connect
# Dask starts workers with MALLOC_TRIM_THRESHOLD_=64 KiB, to hand memory back to the OS at once. With
# spaCy's steady churn of arrays that costs ~4x the page faults and ~10 % more CPU per document here;
# local:N workers get glibc's own steady state instead (both thresholds at 32 MiB).
LOCAL_WORKER_MALLOC = {"MALLOC_TRIM_THRESHOLD_": 32 << 20, "MALLOC_MMAP_THRESHOLD_": 32 << 20}

from pipeline.errors import E_SCHEDULER_SPEC, E_SCHEDULER_UNREACHABLE, E_NO_WORKERS, E_WORKER_SETUP, E_WORKER_VERSIONS, E_WORKER_NO_MODEL, E_N_PROCESS  # noqa: F401  (messages live in errors.py)


class WorkerSetupError(RuntimeError):
    """A worker cannot run the extraction (versions differ, the model does not load)."""


def package_versions() -> dict[str, Optional[str]]:
    """Versions of the packages an extraction's output depends on, as installed here."""
    found: dict[str, Optional[str]] = {}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def archive_model(model: Path) -> bytes:
    """The model directory as an uncompressed tar archive (weights barely compress)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path in sorted(model.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(model)), recursive=False)
    return buf.getvalue()


class ModelPlugin(WorkerPlugin):
    """Puts the model on a worker once: unpacks the shipped archive and loads it there.

    Setup fails (and ``register_plugin`` raises on the client) when the worker's
    ``PACKAGES`` differ from the client's, as their outputs could; a worker that
    joins later and fails keeps the reason for the tasks sent to it.
    """

    def __init__(self, archive: bytes, versions: dict[str, Optional[str]], batch_size: int) -> None:
        self.archive: Optional[bytes] = archive
        self.versions = versions
        self.batch_size = batch_size
        self.nlp: Any = None
        self.lock = threading.Lock()
        self.model_dir: Optional[Path] = None
        self.failure: Optional[str] = None

    def __getstate__(self) -> dict[str, Any]:
        return {"archive": self.archive, "versions": self.versions, "batch_size": self.batch_size}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["archive"], state["versions"], state["batch_size"])

    async def setup(self, worker: Any) -> None:
        try:
            await self._setup(worker)
        except Exception as err:
            self.failure = " ".join(str(err).split()) or type(err).__name__
            raise

    async def _setup(self, worker: Any) -> None:
        mine = package_versions()
        if mine != self.versions:
            differ = [n for n in PACKAGES if mine.get(n) != self.versions.get(n)]
            raise RuntimeError(
                E_WORKER_VERSIONS.format(
                    worker=", ".join(f"{n} {mine.get(n)}" for n in differ),
                    client=", ".join(f"{n} {self.versions.get(n)}" for n in differ),
                )
            )
        # off the event loop: loading takes a second or two and the worker must keep heartbeating
        await asyncio.to_thread(self._load, Path(worker.local_directory))

    def _load(self, local_directory: Path) -> None:
        import spacy

        self.model_dir = Path(tempfile.mkdtemp(prefix="fazhi-model-", dir=local_directory))
        with tarfile.open(fileobj=io.BytesIO(self.archive), mode="r") as tar:
            tar.extractall(self.model_dir, filter="data")
        self.archive = None
        self.nlp = spacy.load(self.model_dir)

    def teardown(self, worker: Any) -> None:
        self.nlp = None
        if self.model_dir is not None:
            shutil.rmtree(self.model_dir, ignore_errors=True)


def extract_on_worker(job: Job, data: bytes, options: Options, plugin: str) -> tuple[dict[str, Any], Optional[str]]:
    """The task: read the shipped bytes, then the per-document step of a local run. Returns (line, text copy)."""
    worker = get_worker()
    model = worker.plugins.get(plugin)
    if not isinstance(model, ModelPlugin) or model.nlp is None:
        reason = model.failure if isinstance(model, ModelPlugin) and model.failure else f"plugin {plugin} is not set up"
        raise WorkerSetupError(E_WORKER_NO_MODEL.format(worker=worker.address, err=reason))
    with model.lock:  # a worker started with --nthreads > 1 shares one pipeline
        process_job(model.nlp, job, options, data=data)
    return job.line, job.text_copy


class DaskEngine:
    """An ``extract`` engine that runs the documents on a Dask cluster (see the module docstring).

    Use as a context manager: entering ships the model to the workers (and
    waits until they have loaded it), leaving removes it from them.
    """

    def __init__(
        self, client: Client, model: Path, max_chars: int = DEFAULT_MAX_CHARS, batch_size: int = 16, window: Optional[int] = None, copy_texts: bool = True
    ) -> None:
        self.client = client
        self.model = Path(model)
        self.options = Options(max_chars=max_chars, batch_size=batch_size, copy_texts=copy_texts)
        self.batch_size = batch_size
        self.fixed_window = window
        self.token = uuid.uuid4().hex[:12]
        self.plugin = f"fazhi-model-{self.token}"
        self._window = 2
        self._window_checked = 0.0

    def __enter__(self) -> "DaskEngine":
        plugin = ModelPlugin(archive_model(self.model), package_versions(), self.batch_size)
        try:
            self.client.register_plugin(plugin, name=self.plugin)
        except Exception as err:  # whatever failed on the worker (versions, a package missing to load the model)
            self.__exit__()
            raise UsageError(E_WORKER_SETUP.format(err=" ".join(str(err).split()) or type(err).__name__)) from err
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.client.unregister_worker_plugin(self.plugin)
        except Exception:  # the cluster may be gone already; nothing to clean then
            pass

    def window(self) -> int:
        """Documents in flight: twice the cluster's threads (it may grow or shrink), re-read at most once a second."""
        if self.fixed_window:
            return self.fixed_window
        now = time.monotonic()
        if now - self._window_checked > 1.0:
            self._window = max(2, 2 * sum(self.client.nthreads().values()))
            self._window_checked = now
        return self._window

    def __call__(self, jobs: Iterator[Job]) -> Iterator[Job]:
        jobs = iter(jobs)
        ready: deque[Job] = deque()
        in_flight: dict[Any, Job] = {}
        finished = as_completed(loop=self.client.loop)
        exhausted = False
        try:
            while True:
                while not exhausted and not ready and len(in_flight) < self.window():
                    job = next(jobs, None)
                    if job is None:
                        exhausted = True
                        break
                    data = read_job_bytes(job) if job.error is None else None
                    if job.error is not None:
                        ready.append(process_job(None, job, self.options))  # its failed line, here
                        continue
                    job.resolved_path = str(job.path.resolve())
                    future = self.client.submit(
                        extract_on_worker, job, data, self.options, self.plugin,
                        key=f"fazhi-extract-{self.token}-{job.index}", pure=False,
                    )
                    in_flight[future] = job
                    finished.add(future)
                if ready:
                    yield ready.popleft()
                elif in_flight:
                    future = next(finished)
                    job = in_flight.pop(future)
                    try:
                        job.line, job.text_copy = future.result()
                    except WorkerSetupError as err:
                        raise UsageError(str(err)) from err
                    except Exception as err:  # a bug, or KilledWorker: the document killed too many workers
                        err.add_note(f"while extracting {job.path} on the Dask cluster (documents.jsonl keeps what is done; --resume continues)")
                        raise
                    future.release()
                    yield job
                elif exhausted:
                    return
        finally:
            if in_flight:
                self.client.cancel(list(in_flight))


def parse_scheduler(spec: str) -> Optional[int]:
    """``local:N`` → N (``local`` → the CPU count); an address → None."""
    m = LOCAL.fullmatch(spec.strip())
    if m:
        n = int(m.group(1)) if m.group(1) else (os.cpu_count() or 1)
        if n < 1:
            raise UsageError(E_SCHEDULER_SPEC.format(spec=spec))
        return n
    if not spec.strip() or spec.startswith("local"):
        raise UsageError(E_SCHEDULER_SPEC.format(spec=spec))
    return None


@contextmanager
def dask_client(spec: str) -> Iterator[Client]:
    """A client of the scheduler at ``spec``, or of a LocalCluster of N single-threaded worker processes for ``local:N``."""
    n_workers = parse_scheduler(spec)
    if n_workers is not None:
        # read when the nannies are made, and kept for the workers they restart
        with dask.config.set({f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in LOCAL_WORKER_MALLOC.items()}):
            cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None)
        with cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(spec)
    except (OSError, ValueError, TypeError) as err:
        raise UsageError(E_SCHEDULER_UNREACHABLE.format(address=spec, err=" ".join(str(err).split()) or type(err).__name__)) from err
    with client:
        try:
            client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS)
        except TimeoutError as err:
            raise UsageError(E_NO_WORKERS.format(address=spec, seconds=WAIT_FOR_WORKERS)) from err
        yield client


def extract_on_dask(
    inputs: list[str],
    out_dir: Path,
    model: Path,
    scheduler: str,
    batch_size: int = 16,
    resume: bool = False,
    force: bool = False,
    max_chars: int = DEFAULT_MAX_CHARS,
    progress: Optional[Progress] = None,
    write_tables: Optional[Callable[[Path, list[dict[str, Any]]], None]] = None,
    copy_texts: bool = True,
) -> ExtractSummary:
    """``extract`` on the Dask cluster at ``scheduler`` (an address, or ``local:N``); same outputs as a local run."""
    with dask_client(scheduler) as client, DaskEngine(client, model, max_chars=max_chars, batch_size=batch_size, copy_texts=copy_texts) as engine:
        return extract(
            inputs, out_dir, None, batch_size=batch_size, resume=resume, force=force, max_chars=max_chars,
            progress=progress, write_tables=write_tables, engine=engine,
        )

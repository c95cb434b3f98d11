"""Enrichment on a Dask cluster: ``duiding ingest --workers N`` and ``--cluster tcp://HOST:8786``.

The ingest is the serial one (:func:`duiding.ingest.pipeline.ingest`) with its NLP stage swapped for
:class:`DaskEnricher`; everything else — reading, rejects report, language, batching, storing, summary —
is the same code. The division of the work:

- **Partitions**: the client reads and parses the input (cheap: well under 0.1 ms an article) and
  detects languages (0.4 ms), in batches of ``batch_size`` articles, and asks the archive which of each
  batch are new or changed. Those (the Dutch ones) are one *partition*: a task shipped to a worker with
  the articles inside it, so input files need not be visible to the workers, and the scheduler holds
  everything needed to run it again elsewhere (no scattered data a lost worker could take along).
- **Workers** run the NER and quote pipeline on the partition (the model is loaded once per worker
  process and kept: :func:`duiding.nlp.entities.load_model` is cached) and send back each article's
  mentions and quotes. That is nearly all the work of an ingest with NLP (about 20 ms an article).
- **Bounded**: at most ``in_flight`` partitions are submitted and not yet stored (default twice the
  cluster's worker threads), so memory stays flat on the client, scheduler and workers however large
  the archive; reading pauses until the oldest partition is back.
- **Writes** happen on the client, a partition at a time and in input order, with
  :meth:`Archive.upsert <duiding.store.base.Archive.upsert>`: the embedded store has one writer, and
  storing in input order gives the same ids, duplicate clusters and summary as the serial ingest. An
  article's identity (canonical URL, source id, content hash) makes every write idempotent, so a partition
  computed twice still stores its articles once. (A server store could take writes from the workers
  themselves: the task would upsert instead of returning its annotations; the order the ids and
  clusters depend on would then have to come from elsewhere.)
- **Retries**: a worker that dies (killed, out of memory) takes its tasks with it; the scheduler runs
  them again on another worker, and the nanny of a local cluster starts a fresh worker process. A
  partition that has been on :data:`ALLOWED_FAILURES` + 1 dying workers is taken to be what kills them
  and fails the ingest (:class:`ClusterError`), with every partition before it stored; running the same
  command again carries on from there. A partition whose NLP raises is tried once more.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duiding import __version__
from duiding.ingest.pipeline import Batch, IngestOptions, IngestSummary, _annotator, ingest
from duiding.model import Article, EntityMention, Quote
from duiding.store.base import Archive

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = [
    "ALLOWED_FAILURES",
    "CONNECT_TIMEOUT",
    "DEFAULT_PARTITION",
    "ClusterError",
    "DaskEnricher",
    "annotate_partition",
    "check_address",
    "dask_client",
    "ingest_distributed",
]

#: Articles in a partition by default: about 2 s of NLP on one worker, small enough to spread a modest
#: corpus over the workers and to lose little when one dies, big enough to keep the scheduler idle.
DEFAULT_PARTITION = 100
#: ``distributed.scheduler.allowed-failures`` of a cluster started here: how many dying workers a
#: partition may be on before it is blamed (a remote scheduler has its own setting).
ALLOWED_FAILURES = 3
#: Seconds to wait for a remote scheduler to answer, and for it to have a worker.
CONNECT_TIMEOUT = 10.0
_SCHEMES = ("tcp", "tls", "ucx", "ws", "wss", "inproc")
_ADDRESS = re.compile(
    r"(?:(?P<scheme>[a-z]+)://)?(?P<host>\[[0-9a-fA-F:.]+\]|[^\s:/\[\]]+):(?P<port>\d{1,5})/?"
)
_LOGGERS = ("distributed", "dask", "tornado", "bokeh")


class ClusterError(RuntimeError):
    """A Dask cluster that cannot be started or reached, or that failed a partition for good."""


Annotations = list[tuple[list[EntityMention], list[Quote]]]


def annotate_partition(articles: list[Article]) -> Annotations:
    """Runs on a worker: the NLP of a partition, as each article's (mentions, quotes).

    The same annotator as the serial ingest; its model is loaded on a worker's first partition and kept.
    """
    _annotator()(articles)
    return [(a.entities, a.quotes) for a in articles]


def _worker_version() -> str:
    return __version__


def check_address(address: str) -> str:
    """``address`` as a scheduler address (``tcp://`` added when it has no scheme), or ValueError."""
    m = _ADDRESS.fullmatch(address.strip())
    if not m or (m["scheme"] and m["scheme"] not in _SCHEMES) or not 0 < int(m["port"]) < 65536:
        raise ValueError(f"not a Dask scheduler address: {address!r} (expected tcp://HOST:PORT)")
    scheme = m["scheme"] or "tcp"
    return f"{scheme}://{m['host']}:{m['port']}"


def _quiet(verbose: bool) -> int:
    """Dask logs every worker start, stop and restart, and its errors again after they have been raised
    here (and told as one line): all that unless verbose. Returns the level to log at."""
    import distributed  # noqa: F401  (its import configures its loggers, some of them one by one)

    level = logging.INFO if verbose else logging.CRITICAL
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in _LOGGERS]
    for name in {*_LOGGERS, *names}:
        logging.getLogger(name).setLevel(level)
    return level


@contextmanager
def dask_client(
    workers: int | None = None,
    address: str | None = None,
    *,
    connect_timeout: float = CONNECT_TIMEOUT,
    verbose: bool = False,
) -> Iterator[Client]:
    """A Dask client: of a local cluster of ``workers`` processes (one thread each) started here and
    closed on exit, or connected to the scheduler at ``address``. ClusterError when that fails."""
    if (workers is None) == (address is None):
        raise ValueError("give either the number of local workers or a scheduler address")
    import dask
    from distributed import Client, LocalCluster

    level = _quiet(verbose)
    config = {
        "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
        "logging.distributed": logging.getLevelName(level).lower(),
    }
    with dask.config.set(config):
        if address is None:
            assert workers is not None
            if workers < 1:
                raise ValueError("a local cluster needs at least one worker")
            try:
                cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=level,
                )
            except Exception as e:  # the process pool or the ports
                raise ClusterError(f"could not start a local Dask cluster of {workers} workers: {e}") from e
            try:
                with Client(cluster, set_as_default=False) as client:
                    yield client
            finally:
                cluster.close()
            return
        target = check_address(address)
        try:
            client = Client(target, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError) as e:
            raise ClusterError(f"cannot reach the Dask scheduler at {target}: {e}") from None
        try:
            try:
                client.wait_for_workers(1, timeout=connect_timeout)
            except TimeoutError:
                raise ClusterError(
                    f"the Dask scheduler at {target} has no workers (waited {connect_timeout:g} s)"
                ) from None
            try:
                versions = client.run(_worker_version)
            except Exception as e:  # e.g. ModuleNotFoundError on a worker without duiding
                raise ClusterError(f"the Dask workers at {target} cannot run duiding: {e}") from None
            wrong = sorted({v for v in versions.values() if v != __version__})
            if wrong:
                raise ClusterError(
                    f"the Dask workers at {target} run duiding {', '.join(wrong)}, this is {__version__}: "
                    "install the same version on them"
                )
            yield client
        finally:
            client.close()


class DaskEnricher:
    """The NLP stage of an ingest (:data:`duiding.ingest.pipeline.Enrich`) on a Dask cluster.

    Submits each batch's articles for the NLP as one task, keeps at most ``in_flight`` batches out
    (default: twice the cluster's worker threads, at least 2), and yields the batches back in input order
    as their annotations arrive. ``on_progress(done, in_flight)`` hears the partitions finished and out.
    """

    def __init__(
        self,
        client: Client,
        in_flight: int | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        if in_flight is not None and in_flight < 1:
            raise ValueError("in_flight must be at least 1")
        self.client = client
        self.in_flight = in_flight
        self.on_progress = on_progress
        self.done = 0  # partitions annotated (or with nothing to annotate) and handed on
        self.submitted = 0  # tasks submitted
        self._run = uuid.uuid4().hex[:8]

    def limit(self) -> int:
        if self.in_flight is not None:
            return self.in_flight
        threads = sum(self.client.nthreads().values())
        return max(2, 2 * threads)

    def _submit(self, batch: Batch) -> Future | None:
        if not batch.todo:
            return None
        self.submitted += 1
        # The articles go inside the task, not scattered: whichever worker runs it (again) gets them.
        return self.client.submit(
            annotate_partition,
            batch.todo,
            key=f"duiding-nlp-{self._run}-{batch.number}",
            pure=False,
            retries=1,
        )

    def _collect(self, batch: Batch, future: Future | None) -> None:
        if future is None:
            return
        from concurrent.futures import CancelledError

        from distributed import KilledWorker

        first = batch.articles[0]
        where = f"{first.source_file}:{first.source_line}" if first.source_file else first.id
        resume = "the partitions before it are stored, and the same command again goes on from there"
        try:
            annotations: Annotations = future.result()
        except KilledWorker:
            raise ClusterError(
                f"partition {batch.number} (articles from {where} on) was on {ALLOWED_FAILURES + 1} workers "
                f"that died; {resume}"
            ) from None
        except CancelledError as e:  # the scheduler went away, or was restarted
            raise ClusterError(f"the Dask cluster lost partition {batch.number} ({e}); {resume}") from None
        finally:
            future.release()
        for article, (mentions, quotes) in zip(batch.todo, annotations, strict=True):
            article.entities = mentions
            article.quotes = quotes

    def __call__(self, batches: Iterator[Batch]) -> Iterator[Batch]:
        window: deque[tuple[Batch, Future | None]] = deque()
        more = True
        try:
            while True:
                limit = self.limit()
                while more and len(window) < limit:
                    batch = next(batches, None)
                    if batch is None:
                        more = False
                        break
                    window.append((batch, self._submit(batch)))
                    self._report(len(window))
                if not window:
                    return
                batch, future = window.popleft()
                self._collect(batch, future)
                self.done += 1
                self._report(len(window))
                yield batch
        finally:
            for _, future in window:  # stopped early (an error, Ctrl-C): take back what is still out
                if future is not None:
                    future.cancel()

    def _report(self, out: int) -> None:
        if self.on_progress:
            self.on_progress(self.done, out)


def ingest_distributed(
    archive: Archive,
    paths: Sequence[str | os.PathLike[str]],
    rejects_path: Path,
    options: IngestOptions | None = None,
    *,
    workers: int | None = None,
    address: str | None = None,
    client: Client | None = None,
    in_flight: int | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
    verbose: bool = False,
    on_partition: Callable[[int, int], None] | None = None,
    **callbacks: Any,
) -> IngestSummary:
    """:func:`duiding.ingest.pipeline.ingest` with the NLP on a Dask cluster: a local one of ``workers``
    processes, the scheduler at ``address``, or an existing ``client``'s. ``callbacks`` are ingest's
    (``on_reject``, ``on_bytes``, ``on_stored``, ``on_recovered``); ``on_partition(done, in_flight)``
    hears the partitions. The summary is the serial ingest's for the same input.
    """
    opts = options or IngestOptions(batch_size=DEFAULT_PARTITION)
    if client is not None:
        enrich = DaskEnricher(client, in_flight, on_partition)
        return ingest(archive, paths, rejects_path, opts, enrich=enrich, **callbacks)
    with dask_client(workers, address, connect_timeout=connect_timeout, verbose=verbose) as own:
        enrich = DaskEnricher(own, in_flight, on_partition)
        return ingest(archive, paths, rejects_path, opts, enrich=enrich, **callbacks)

"""Run many scenarios: serially, on a local process pool or on a Dask cluster, into a results store.

Every finished scenario is written to the :class:`~gridshare.benchmark.store.ResultsStore` by
the driver as soon as it returns (workers only compute), so an interrupted sweep keeps
everything finished so far and a re-run skips it. A scenario whose evaluation raises is written
as a failure and the sweep goes on.

A worker process that dies (a crash in native code, the OOM killer) breaks a local process pool
for every scenario then in flight. Those scenarios are not blamed: each is run again *alone*, and
only a scenario that kills its worker while running alone is charged an attempt; after
``retries + 1`` such attempts it is recorded as failed (``error_type`` ``"WorkerDied"``). On Dask
the scheduler does the same bookkeeping (``distributed.scheduler.allowed-failures``, set to
``retries`` for a cluster the sweep starts itself) and reports ``KilledWorker``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import time as _time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from gridshare.benchmark.community import BenchmarkCommunity, default_community
from gridshare.benchmark.evaluate import FailedScenario, ScenarioResult, evaluate_safe, with_options
from gridshare.benchmark.scenarios import Scenario
from gridshare.benchmark.store import ResultsStore
from gridshare.model import SolveOptions

EXECUTORS = ("serial", "process", "dask")
"""Named executors; a ``distributed.Client`` or a scheduler address ``"tcp://host:port"`` also work."""

Outcome = ScenarioResult | FailedScenario
OnResult = Callable[[int, int, Outcome], Any]


@dataclass
class SweepResult:
    """What a sweep did.

    Attributes
    ----------
    store : ResultsStore
        Where the results are (including those of earlier runs).
    n_run : int
        Scenarios evaluated by this run (finished or failed).
    n_skipped : int
        Scenarios already in the store, not run again.
    n_failed : int
        Scenarios of this run recorded as failed.
    wall_s : float
        Wall time of this run, s (including starting and stopping workers).
    """

    store: ResultsStore
    n_run: int
    n_skipped: int
    n_failed: int
    wall_s: float

    @property
    def results(self) -> pd.DataFrame:
        """The store's results table (one row per scenario)."""
        return self.store.results()

    @property
    def buildings(self) -> pd.DataFrame:
        """The store's buildings table."""
        return self.store.buildings()

    @property
    def scenarios(self) -> pd.DataFrame:
        """The store's scenarios table."""
        return self.store.scenarios()


def default_workers() -> int:
    """Number of CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# --- process pool -----------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(community: BenchmarkCommunity, options: SolveOptions) -> None:
    _WORKER["community"], _WORKER["options"] = community, options


def _work(scenario: Scenario) -> Outcome:
    return evaluate_safe(scenario, _WORKER["community"], _WORKER["options"])


def _died(scenario: Scenario, attempts: int, how: str) -> FailedScenario:
    return FailedScenario(scenario_id=scenario.scenario_id, error_type="WorkerDied",
                          message=f"the worker process died {attempts} time(s) while evaluating "
                                  f"this scenario ({how})", attempts=attempts)


def _run_process(todo: list[Scenario], community: BenchmarkCommunity, options: SolveOptions,
                 workers: int, retries: int, record: Callable[[Outcome], None]) -> None:
    queue, suspects = deque(todo), deque()
    alone_deaths: dict[str, int] = {}
    while queue or suspects:
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                   initargs=(community, options))
        try:
            broken = False
            while suspects and not broken:  # run each suspect alone: a death is its own
                s = suspects.popleft()
                try:
                    record(pool.submit(_work, s).result())
                except BrokenProcessPool:
                    broken = True
                    deaths = alone_deaths[s.scenario_id] = alone_deaths.get(s.scenario_id, 0) + 1
                    if deaths > retries:
                        record(_died(s, deaths, "BrokenProcessPool"))
                    else:
                        suspects.appendleft(s)
            if broken:
                continue
            in_flight: dict[Any, Scenario] = {}
            while (queue or in_flight) and not broken:
                while queue and len(in_flight) < 2 * workers:
                    s = queue.popleft()
                    try:
                        in_flight[pool.submit(_work, s)] = s
                    except BrokenProcessPool:  # broke since the last wait; s never started
                        queue.appendleft(s)
                        broken = True
                        break
                if broken:
                    break
                done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
                for fut in done:
                    s = in_flight.pop(fut)
                    try:
                        record(fut.result())
                    except BrokenProcessPool:
                        broken = True
                        suspects.append(s)
            if broken:  # whatever was still in flight may have been hit as well
                for fut, s in in_flight.items():
                    try:
                        record(fut.result())
                    except BrokenProcessPool:
                        suspects.append(s)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


# --- dask ---------------------------------------------------------------------------------------

def _run_dask(todo: list[Scenario], community: BenchmarkCommunity, options: SolveOptions,
              executor: Any, workers: int, retries: int, record: Callable[[Outcome], None]) -> None:
    import dask
    from distributed import Client, LocalCluster, as_completed
    from distributed.scheduler import KilledWorker

    with contextlib.ExitStack() as stack:
        if isinstance(executor, str) and executor == "dask":
            # The scheduler runs in this process and reads the config when it starts.
            settings: dict[str, Any] = {"distributed.scheduler.allowed-failures": retries}
            if (sys.platform.startswith("linux")
                    and dask.config.get("distributed.worker.multiprocessing-method") == "spawn"):
                # Forked workers inherit the already imported core instead of importing it again
                # (measured on 2 busy cores: cluster ready and first task in 0.5 s instead of 14 s).
                settings["distributed.worker.multiprocessing-method"] = "fork"
            stack.enter_context(dask.config.set(settings))
            cluster = stack.enter_context(LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR))
            client = stack.enter_context(Client(cluster))
        elif isinstance(executor, str):
            client = stack.enter_context(Client(executor))
        else:
            client = executor
        shared = client.scatter(community, broadcast=True)
        futures = {}
        for s in todo:
            fut = client.submit(evaluate_safe, s, shared, options, pure=False,
                                key=f"gridshare-scenario-{s.scenario_id}-{os.urandom(4).hex()}")
            futures[fut.key] = (fut, s)
        for fut in as_completed([f for f, _ in futures.values()]):
            s = futures[fut.key][1]
            try:
                outcome = fut.result()
            except KilledWorker as exc:
                outcome = replace(_died(s, retries + 1, "dask KilledWorker"), message=(
                    f"the worker process died while evaluating this scenario: {exc}"))
            except Exception as exc:  # a failure outside the evaluation (serialisation, network)
                outcome = FailedScenario(scenario_id=s.scenario_id, error_type=type(exc).__name__,
                                         message=str(exc))
            record(outcome)
            fut.release()


# --- driver -------------------------------------------------------------------------------------

def run_sweep(scenarios: Iterable[Scenario], community: BenchmarkCommunity | None = None,
              store: str | Path | ResultsStore | None = None, executor: str | Any = "process",
              workers: int | None = None, progress: bool = True, options: SolveOptions | None = None,
              retries: int = 1, on_result: OnResult | None = None,
              retry_failed: bool = False) -> SweepResult:
    """Evaluate ``scenarios`` on ``community`` and store every outcome as it arrives.

    Parameters
    ----------
    scenarios : iterable of Scenario
        Duplicates (same ``scenario_id``) are run once.
    community : BenchmarkCommunity, optional
        Default :func:`~gridshare.benchmark.community.default_community`.
    store : str, Path or ResultsStore, optional
        Results store (a directory); default a new temporary directory.
    executor : {"serial", "process", "dask"}, distributed.Client or str
        ``"process"``: a local :class:`~concurrent.futures.ProcessPoolExecutor`; ``"dask"``: a
        Dask ``LocalCluster`` of ``workers`` processes with one thread each, closed afterwards; a
        ``distributed.Client``, or a scheduler address such as ``"tcp://10.0.0.5:8786"``.
    workers : int, optional
        Worker processes for ``"process"`` and ``"dask"``; default the usable CPU cores.
    progress : bool
        Show a progress bar with ETA (tqdm, on stderr).
    options : SolveOptions, optional
        Solver options; shadow prices are always off. Default one HiGHS thread.
    retries : int
        How many times a scenario whose worker died is run again before it is recorded failed.
    on_result : callable, optional
        ``on_result(done, total, outcome)`` after each scenario is stored (e.g. live progress).
    retry_failed : bool
        Run scenarios stored as failed again (their failure records are removed first).

    Returns
    -------
    SweepResult

    Examples
    --------
    >>> import tempfile
    >>> from gridshare.benchmark.community import default_community
    >>> c = default_community(n_buildings=2, steps=4, step_minutes=60, start="2024-07-01 10:00")
    >>> r = run_sweep([Scenario("tou", False), Scenario("cpp", True)], c, tempfile.mkdtemp(),
    ...               executor="serial", progress=False)
    >>> r.n_run, r.n_skipped, r.results["status"].tolist()
    (2, 0, ['ok', 'ok'])
    """
    started = _time.perf_counter()
    if not (isinstance(retries, int) and retries >= 0):
        raise ValueError(f"retries is {retries!r}; it must be a whole number >= 0")
    if workers is not None and not (isinstance(workers, int) and workers >= 1):
        raise ValueError(f"workers is {workers!r}; it must be a whole number >= 1 or None")
    if isinstance(executor, str) and executor not in EXECUTORS and "://" not in executor:
        raise ValueError(f"executor is {executor!r}; allowed: {EXECUTORS}, a distributed.Client "
                         "or a scheduler address like 'tcp://host:8786'")
    unique: dict[str, Scenario] = {}
    for s in scenarios:
        if not isinstance(s, Scenario):
            raise ValueError(f"scenarios must hold Scenario objects; got {type(s).__name__}")
        unique.setdefault(s.scenario_id, s)
    if not isinstance(store, ResultsStore):
        store = ResultsStore(store if store is not None else tempfile.mkdtemp(prefix="gridshare-sweep-"))
    if retry_failed:
        store.remove(store.failed_ids() & set(unique))
    done_before = store.finished_ids()
    todo = [s for sid, s in unique.items() if sid not in done_before]
    community = community if community is not None else default_community()
    options = with_options(options)
    workers = workers or default_workers()
    counts = {"run": 0, "failed": 0}

    from tqdm.auto import tqdm

    bar = tqdm(total=len(todo), disable=not progress, unit="scenario", desc="sweep")

    def record(outcome: Outcome) -> None:
        store.write(outcome, unique[outcome.scenario_id])
        counts["run"] += 1
        counts["failed"] += isinstance(outcome, FailedScenario)
        bar.update(1)
        if counts["failed"]:
            bar.set_postfix(failed=counts["failed"])
        if on_result is not None:
            on_result(counts["run"], len(todo), outcome)

    try:
        if not todo:
            pass
        elif executor == "serial":
            for s in todo:
                record(evaluate_safe(s, community, options))
        elif executor == "process":
            _run_process(todo, community, options, workers, retries, record)
        else:
            _run_dask(todo, community, options, executor, workers, retries, record)
    finally:
        bar.close()
    return SweepResult(store=store, n_run=counts["run"], n_skipped=len(unique) - len(todo),
                       n_failed=counts["failed"], wall_s=_time.perf_counter() - started)

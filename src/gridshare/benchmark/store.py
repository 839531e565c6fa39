"""Results store of a sweep: one directory of Parquet files per scenario, and a DuckDB catalogue.

Layout::

    root/
      scenarios/<scenario_id>/scenario.parquet   the scenario record (one row)
                              results.parquet    the summary (one row; status "ok" or "failed")
                              buildings.parquet  one row per building (finished scenarios)
                              failure.parquet    error type, message, traceback (failed ones)
      catalogue.duckdb                           tables scenarios, results, buildings, failures

A scenario is written into a fresh temporary directory inside ``root``, every file and the
directory are fsynced, and the directory is renamed to ``scenarios/<scenario_id>`` with
``os.replace`` (atomic on one file system). Only then are its rows inserted into the catalogue,
in one transaction. **The directories are the truth**: on opening, the catalogue is reconciled
with them (rows of a directory that is missing are deleted, directories missing from the
catalogue are inserted, leftover temporary directories are removed), so a crash at any point
loses no finished scenario and duplicates none. Only one process (the sweep's driver) writes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from gridshare.benchmark.evaluate import (
    BUILDING_COLUMNS,
    SUMMARY_COLUMNS,
    FailedScenario,
    ScenarioResult,
)
from gridshare.benchmark.scenarios import PARAMETER_NAMES, Scenario

SCHEMAS: dict[str, dict[str, str]] = {
    "scenarios": {"scenario_id": "VARCHAR", "tariff": "VARCHAR", "p2p": "BOOLEAN",
                  "export_ratio": "DOUBLE", "community_spread": "DOUBLE", "seed": "BIGINT",
                  **{name: "DOUBLE" for name in PARAMETER_NAMES}},
    "results": {"scenario_id": "VARCHAR", "status": "VARCHAR",
                **{name: "DOUBLE" for name in SUMMARY_COLUMNS}},
    "buildings": {"scenario_id": "VARCHAR", "building": "VARCHAR",
                  **{name: "DOUBLE" for name in BUILDING_COLUMNS[2:]}},
    "failures": {"scenario_id": "VARCHAR", "error_type": "VARCHAR", "message": "VARCHAR",
                 "traceback": "VARCHAR", "attempts": "BIGINT"},
}
"""Columns and DuckDB types of the catalogue tables (and of the Parquet files)."""

_FILES = {"scenarios": "scenario.parquet", "results": "results.parquet",
          "buildings": "buildings.parquet", "failures": "failure.parquet"}
_PANDAS = {"VARCHAR": object, "BOOLEAN": bool, "DOUBLE": float, "BIGINT": "int64"}
_TMP_PREFIX = ".tmp-"


def _typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    schema = SCHEMAS[table]
    frame = frame.reindex(columns=list(schema))
    return frame.astype({c: _PANDAS[t] for c, t in schema.items()})


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ResultsStore:
    """Parquet files plus a DuckDB catalogue (see the module docstring).

    Parameters
    ----------
    root : str or Path
        Directory of the store; created with ``scenarios/`` and ``catalogue.duckdb`` if missing.

    Examples
    --------
    >>> import tempfile
    >>> store = ResultsStore(tempfile.mkdtemp())
    >>> store.finished_ids(), len(store.results())
    (set(), 0)
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.scenario_dir = self.root / "scenarios"
        self.catalogue_path = self.root / "catalogue.duckdb"
        self.scenario_dir.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            for table, schema in SCHEMAS.items():
                cols = ", ".join(f'"{c}" {t}' for c, t in schema.items())
                con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
        self.reconcile()

    def __repr__(self) -> str:
        return f"ResultsStore({str(self.root)!r})"

    @contextlib.contextmanager
    def _connect(self, read_only: bool = False):
        con = duckdb.connect(str(self.catalogue_path), read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    # --- truth on disk ------------------------------------------------------------------------
    def _dir_ids(self) -> set[str]:
        return {p.name for p in self.scenario_dir.iterdir()
                if p.is_dir() and not p.name.startswith(_TMP_PREFIX)}

    def finished_ids(self) -> set[str]:
        """Ids of every scenario written (finished or failed), from the directories."""
        return self._dir_ids()

    def failed_ids(self) -> set[str]:
        """Ids of the scenarios written as failures."""
        return {i for i in self._dir_ids() if (self.scenario_dir / i / _FILES["failures"]).exists()}

    def reconcile(self) -> None:
        """Make the catalogue match the directories, and remove unfinished temporary directories."""
        for leftover in self.root.glob(f"{_TMP_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)
        on_disk = self._dir_ids()
        with self._connect() as con:
            listed = {r[0] for r in con.execute("SELECT scenario_id FROM results").fetchall()}
            missing, stale = sorted(on_disk - listed), sorted(listed - on_disk)
            if stale:
                con.execute("BEGIN")
                for table in SCHEMAS:
                    con.execute(f"DELETE FROM {table} WHERE scenario_id IN (SELECT * FROM "
                                "unnest(?))", [stale])
                con.execute("COMMIT")
            for sid in missing:
                self._insert(con, self._read_dir(self.scenario_dir / sid))

    def _read_dir(self, path: Path) -> dict[str, pd.DataFrame]:
        return {table: pd.read_parquet(path / name) for table, name in _FILES.items()
                if (path / name).exists()}

    def _insert(self, con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]) -> None:
        sid = str(frames["results"]["scenario_id"].iloc[0])
        con.execute("BEGIN")
        try:
            for table in SCHEMAS:  # a re-insert replaces, never duplicates
                con.execute(f"DELETE FROM {table} WHERE scenario_id = ?", [sid])
            for table, frame in frames.items():
                con.register("incoming", _typed(frame, table))
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
                con.unregister("incoming")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise

    # --- writing ------------------------------------------------------------------------------
    @staticmethod
    def frames(result: ScenarioResult | FailedScenario, scenario: Scenario) -> dict[str, pd.DataFrame]:
        """The rows ``write`` stores for ``result``, by table."""
        sid = scenario.scenario_id
        if result.scenario_id != sid:
            raise ValueError(f"result is for scenario {result.scenario_id!r} but scenario is {sid!r}")
        out = {"scenarios": pd.DataFrame([scenario.to_record()])}
        if isinstance(result, FailedScenario):
            out["results"] = pd.DataFrame([{"scenario_id": sid, "status": "failed",
                                            **{c: np.nan for c in SUMMARY_COLUMNS}}])
            out["failures"] = pd.DataFrame([{"scenario_id": sid, "error_type": result.error_type,
                                             "message": result.message,
                                             "traceback": result.traceback,
                                             "attempts": int(result.attempts)}])
        else:
            out["results"] = pd.DataFrame([{"scenario_id": sid, **result.summary}])
            out["buildings"] = result.buildings.assign(scenario_id=sid)
        return {k: _typed(v, k) for k, v in out.items()}

    def write(self, result: ScenarioResult | FailedScenario, scenario: Scenario) -> None:
        """Store one scenario atomically (temporary directory, fsync, rename), then catalogue it.

        A scenario already in the store is left as it is (the first write wins), so a repeated
        write never duplicates rows; use :meth:`remove` first to replace it.
        """
        frames = self.frames(result, scenario)
        sid = scenario.scenario_id
        final = self.scenario_dir / sid
        if final.exists():
            return
        tmp = self.root / f"{_TMP_PREFIX}{sid}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            for table, frame in frames.items():
                path = tmp / _FILES[table]
                frame.to_parquet(path, index=False)
                _fsync(path)
            _fsync(tmp)
            os.replace(tmp, final)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            if final.exists():  # written meanwhile by the same sweep
                return
            raise
        _fsync(self.scenario_dir)
        with self._connect() as con:
            self._insert(con, frames)

    def remove(self, scenario_ids: set[str] | list[str]) -> None:
        """Delete scenarios (directories and catalogue rows), e.g. to run failed ones again."""
        for sid in scenario_ids:
            path = self.scenario_dir / str(sid)
            if path.exists():
                doomed = self.root / f"{_TMP_PREFIX}rm-{sid}-{uuid.uuid4().hex[:8]}"
                os.replace(path, doomed)  # out of the truth first, then away
                shutil.rmtree(doomed, ignore_errors=True)
        self.reconcile()

    # --- reading ------------------------------------------------------------------------------
    def _table(self, table: str) -> pd.DataFrame:
        with self._connect(read_only=True) as con:
            frame = con.execute(f"SELECT * FROM {table} ORDER BY scenario_id").df()
        return frame

    def scenarios(self) -> pd.DataFrame:
        """One row per stored scenario: the columns of :meth:`Scenario.to_record`."""
        return self._table("scenarios")

    def results(self) -> pd.DataFrame:
        """One row per stored scenario: ``scenario_id``, ``status`` ("ok" / "failed") and the
        summary metrics (NaN for failures)."""
        return self._table("results")

    def buildings(self) -> pd.DataFrame:
        """One row per building of every finished scenario."""
        return self._table("buildings")

    def failures(self) -> pd.DataFrame:
        """One row per failed scenario: ``scenario_id``, ``error_type``, ``message``,
        ``traceback``, ``attempts``."""
        return self._table("failures")

    def query(self, sql: str) -> pd.DataFrame:
        """Run read-only SQL on the catalogue (tables ``scenarios``, ``results``, ``buildings``,
        ``failures``).

        Examples
        --------
        >>> import tempfile
        >>> ResultsStore(tempfile.mkdtemp()).query("SELECT count(*) AS n FROM results")["n"].tolist()
        [0]
        """
        with self._connect(read_only=True) as con:
            try:
                return con.execute(sql).df()
            except duckdb.Error as exc:
                raise ValueError(f"query failed: {exc}") from exc

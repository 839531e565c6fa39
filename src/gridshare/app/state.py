"""Session and caching helpers shared by the app's pages.

The current case lives in ``st.session_state["case"]`` (see :func:`set_case`); heavy API calls
are cached with :func:`cached`, keyed by :func:`case_key`, the SHA-256 of the case's canonical
JSON (plus the size and modification time of every data file it reads), so the same case gives
a cache hit whichever page or session asks, and an edited case a fresh computation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import streamlit as st
from pydantic import BaseModel

from gridshare.case import Case, CaseError, case_to_dict, load_case
from gridshare.datafiles import FileProblem
from gridshare.model.solve import SolverError

EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "examples"
"""The bundled example cases (the repository's ``examples/`` folder)."""

EXAMPLES = {
    "community_households.yaml": "Ten homes sharing a pool (one summer day, 15 min)",
    "rec_lem_community.yaml": "Lisbon renewable energy community (local market, 15 min)",
    "procurement_ercot.yaml": "ERCOT clean-energy pool (five companies, 2024 hourly)",
}
"""Example files a user can open from Home, with a one-line description."""

USER_ERRORS: tuple[type[BaseException], ...] = (ValueError, FileProblem, SolverError, OSError)
"""Errors a user's input can cause; pages show them instead of a traceback."""

CASE_KEY = "case"
"""Session-state key of the current case (a :class:`CurrentCase`)."""

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class CurrentCase:
    """The case a session works on.

    Attributes
    ----------
    case : Case
        The validated case.
    source : str
        Where it came from (an example's file name, an upload's name, "edited ...").
    folder : Path
        Folder that relative data-file paths are written against when the case is downloaded.
    key : str
        :func:`case_key` of ``case``.
    """

    case: Case
    source: str
    folder: Path
    key: str


def _file_stamps(data: Any, out: list[str]) -> None:
    """Collect ``path:size:mtime`` of every data file named in a case dict (changed files miss)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("file", "export_file") and isinstance(value, str):
                path = Path(value)
                stat = path.stat() if path.exists() else None
                out.append(f"{value}:{stat.st_size}:{stat.st_mtime_ns}" if stat else f"{value}:-")
            else:
                _file_stamps(value, out)
    elif isinstance(data, list):
        for item in data:
            _file_stamps(item, out)


def _canonical(obj: Any) -> Any:
    """Plain JSON-able data of ``obj`` for hashing."""
    if isinstance(obj, Case):
        data = case_to_dict(obj)
        stamps: list[str] = []
        _file_stamps(data, stamps)
        return {"case": data, "files": stamps}
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, pd.DataFrame | pd.Series):
        return [str(obj.shape), int(pd.util.hash_pandas_object(obj, index=True).sum() % (2**63))]
    if isinstance(obj, np.ndarray):
        return [str(obj.dtype), list(obj.shape), hashlib.sha256(np.ascontiguousarray(obj)).hexdigest()]
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_canonical(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def case_key(obj: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of a case (or any plain data, model or table).

    Two cases with the same content get the same key; any change to a field (or to a data file
    the case reads) gives another.

    Parameters
    ----------
    obj : Case, pydantic model, dict, list, DataFrame, ndarray or scalar

    Returns
    -------
    str
        64 hexadecimal digits.

    Examples
    --------
    >>> case_key({"b": 1, "a": [1, 2]}) == case_key({"a": [1, 2], "b": 1})
    True
    >>> len(case_key({"a": 1}))
    64
    """
    text = json.dumps(_canonical(obj), sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cached(fn: F | None = None, *, max_entries: int = 16, ttl: float | None = None) -> Any:
    """``st.cache_data`` keyed by case content: a :class:`Case` argument hashes as :func:`case_key`.

    Use as ``@cached`` or ``@cached(max_entries=4)`` on a function of a case and plain settings
    that returns picklable data (tables, arrays, dicts).

    Parameters
    ----------
    fn : callable, optional
        The function to cache.
    max_entries : int, default 16
        Results kept per function (oldest dropped first).
    ttl : float, optional
        Seconds a result stays valid (default: until the server stops).
    """
    def wrap(func: F) -> F:
        return st.cache_data(func, hash_funcs={Case: case_key}, max_entries=max_entries, ttl=ttl,
                             show_spinner=False)  # type: ignore[return-value]

    return wrap(fn) if fn is not None else wrap


def set_case(case: Case, source: str, folder: str | Path | None = None) -> CurrentCase:
    """Make ``case`` the session's current case.

    Parameters
    ----------
    case : Case
        A validated case.
    source : str
        Where it came from, shown on every page.
    folder : str or Path, optional
        Folder data-file paths are made relative to when the case is downloaded (default:
        the examples folder).

    Returns
    -------
    CurrentCase
    """
    if not isinstance(case, Case):
        raise ValueError(f"set_case needs a gridshare.case.Case; got {type(case).__name__}")
    current = CurrentCase(case, source, Path(folder) if folder is not None else EXAMPLES_DIR,
                          case_key(case))
    st.session_state[CASE_KEY] = current
    return current


def current_case() -> CurrentCase | None:
    """The session's current case, or ``None`` when none was opened yet."""
    value = st.session_state.get(CASE_KEY)
    return value if isinstance(value, CurrentCase) else None


@st.cache_data(show_spinner=False, max_entries=8)
def _example(name: str, stamp: str) -> Case:
    return load_case(EXAMPLES_DIR / name)


def load_example(name: str) -> Case:
    """A bundled example case, read once per server (and again when its file changes).

    Raises
    ------
    ValueError
        When ``name`` is not one of the bundled examples.
    """
    path = EXAMPLES_DIR / name
    if not path.is_file():
        known = ", ".join(sorted(p.name for p in EXAMPLES_DIR.glob("*.yaml")))
        raise ValueError(f"no bundled example {name!r}; available: {known}")
    stat = path.stat()
    return _example(name, f"{stat.st_size}:{stat.st_mtime_ns}")


def case_for_page(accepts: Callable[[Case], bool], example: str, what: str) -> CurrentCase:
    """The case a workflow page works on: the current case if it suits, else the page's example.

    Parameters
    ----------
    accepts : callable
        Whether a case has what the workflow needs.
    example : str
        Bundled example used otherwise.
    what : str
        What the page needs, said in the note shown when the example is used instead.
    """
    current = current_case()
    if current is not None and accepts(current.case):
        st.caption(f"Case: **{current.case.name}** ({current.source}) — change it on Home.")
        return current
    case = load_example(example)
    if current is not None:
        st.info(f"The current case *{current.case.name}* has no {what}; showing the bundled example "
                f"**{example}** instead.")
    else:
        st.caption(f"Case: bundled example **{example}** — open or upload another on Home.")
    return CurrentCase(case, example, EXAMPLES_DIR, case_key(case))


def _short(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def problems_table(exc: CaseError) -> pd.DataFrame:
    """A CaseError's problems as a table: ``where``, ``problem``, ``found``.

    Examples
    --------
    >>> t = problems_table(CaseError([{"path": "time.end", "message": "required field is missing"}]))
    >>> t.loc[0, "where"], t.loc[0, "problem"]
    ('time.end', 'required field is missing')
    """
    rows = [{"where": p.get("path", ""), "problem": p.get("message", ""),
             "found": _short(p.get("value"))} for p in exc.problems]
    return pd.DataFrame(rows, columns=["where", "problem", "found"])


def show_error(exc: BaseException) -> None:
    """Show a user error in the page: a CaseError as its full problem table, anything else as text."""
    if isinstance(exc, CaseError):
        n = len(exc.problems)
        st.error(f"**{n} problem{'s' if n != 1 else ''} in {exc.source or 'the case'}** — "
                 "nothing was changed; fix the file and try again.", icon=":material/error:")
        st.dataframe(problems_table(exc), hide_index=True, width="stretch")
    else:
        st.error(str(exc) or type(exc).__name__, icon=":material/error:")

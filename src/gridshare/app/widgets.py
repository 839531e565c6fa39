"""Widgets the pages share: the case upload and the download buttons.

:func:`upload_case` is the app's edge for user files: whatever is uploaded (a wrong type, a
malformed file, a 50 MB file, a profile of the wrong length) ends in a clear message on the page
and the session keeps its current case.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from gridshare.app.state import CurrentCase, set_case, show_error
from gridshare.case import CaseError, read_case_file, validate_case

CASE_SUFFIXES = (".yaml", ".yml", ".json")
"""Suffixes of case files."""

DATA_SUFFIXES = (".csv", ".parquet", ".epw", ".tmy", ".tmy3")
"""Suffixes of the data files a case may read (profiles, prices, weather)."""

MAX_UPLOAD_BYTES = 10 * 1024**2
"""Largest file accepted by the upload (10 MB): long profiles belong in CSV/Parquet files."""

UPLOAD_DIR = Path(tempfile.gettempdir()) / "gridshare-app-uploads"
"""Uploaded files are kept here, one folder per upload content, while the server runs."""


def _problem(message: str, value: Any = None, path: str = "(file)") -> dict[str, Any]:
    item: dict[str, Any] = {"path": path, "message": message}
    if value is not None:
        item["value"] = value
    return item


def _file_refs(data: Any, out: list[str]) -> None:
    """Every relative ``file``/``export_file`` value in a parsed case."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("file", "export_file") and isinstance(value, str):
                out.append(value)
            else:
                _file_refs(value, out)
    elif isinstance(data, list):
        for item in data:
            _file_refs(item, out)


def case_from_upload(files: list[tuple[str, bytes]]) -> tuple[Any, Path]:
    """Validate an upload: one case file plus the data files it reads.

    Parameters
    ----------
    files : list of (name, content)
        The uploaded files.

    Returns
    -------
    (Case, Path)
        The validated case and the folder its files were stored in.

    Raises
    ------
    CaseError
        With every problem found: file types, sizes, count of case files, parse errors, schema
        errors, and data files (missing, wrong length, negative values).
    """
    if not files:
        raise CaseError([_problem("no file uploaded")], "the upload")
    problems = []
    for name, content in files:
        suffix = Path(name).suffix.lower()
        if suffix not in CASE_SUFFIXES + DATA_SUFFIXES:
            problems.append(_problem(f"unsupported file type {suffix or '(none)'!r}; a case file is "
                                     f"{', '.join(CASE_SUFFIXES)}, its data files "
                                     f"{', '.join(DATA_SUFFIXES)}", name))
        if len(content) > MAX_UPLOAD_BYTES:
            problems.append(_problem(f"{name} is {len(content) / 1024**2:.1f} MB; uploads are "
                                     f"limited to {MAX_UPLOAD_BYTES // 1024**2} MB per file — put "
                                     "long profiles in CSV or Parquet files", len(content)))
    cases = [(n, c) for n, c in files if Path(n).suffix.lower() in CASE_SUFFIXES]
    if len(cases) != 1:
        problems.append(_problem(f"upload exactly one case file ({', '.join(CASE_SUFFIXES)}); got "
                                 f"{len(cases)}", [n for n, _ in cases] or None))
    source = cases[0][0] if len(cases) == 1 else "the upload"
    if problems:
        raise CaseError(problems, source)
    name, content = cases[0]
    digest = hashlib.sha256(b"".join(hashlib.sha256(c).digest() + n.encode() for n, c in files))
    folder = UPLOAD_DIR / digest.hexdigest()[:24]
    folder.mkdir(parents=True, exist_ok=True)
    case_path = folder / Path(name).name
    case_path.write_bytes(content)
    try:
        data = read_case_file(case_path)
    except CaseError as exc:
        raise CaseError(exc.problems, name) from None
    # Data files go where the case says (e.g. data/h10.csv), matched by file name.
    uploads = {Path(n).name: c for n, c in files if Path(n).suffix.lower() in DATA_SUFFIXES}
    refs: list[str] = []
    _file_refs(data, refs)
    for ref in refs:
        rel = Path(ref)
        if rel.name in uploads and not rel.is_absolute() and ".." not in rel.parts:
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(uploads[rel.name])
    case = validate_case(data, base_dir=folder, source=name)
    return case, folder


def upload_case(key: str = "home_upload") -> CurrentCase | None:
    """File upload of a case (YAML/JSON) with its data files; validated, shown, never crashing.

    A valid upload becomes the session's current case (returned once, on the run it arrives);
    a bad one shows its full problem list and leaves the current case as it was.

    Parameters
    ----------
    key : str
        Widget key (the page name first).

    Returns
    -------
    CurrentCase or None
        The new current case on the run a valid upload arrives, else ``None``.
    """
    uploaded = st.file_uploader(
        "Upload a case file (.yaml, .yml or .json) and any CSV/Parquet/EPW files it reads",
        accept_multiple_files=True, key=key, max_upload_size=MAX_UPLOAD_BYTES // 1024**2,
        help=f"At most {MAX_UPLOAD_BYTES // 1024**2} MB per file. Relative file paths in the case "
             "are matched to the uploaded data files by name.")
    if not uploaded:
        st.session_state.pop(f"{key}_outcome", None)
        return None
    signature = tuple((f.file_id, f.name, f.size) for f in uploaded)
    outcome = st.session_state.get(f"{key}_outcome")
    if outcome is not None and outcome[0] == signature:
        # Already handled on an earlier run: show the verdict again, do not re-open the case
        # (that would throw away edits made since).
        if isinstance(outcome[1], BaseException):
            show_error(outcome[1])
        else:
            st.success(outcome[1], icon=":material/check_circle:")
        return None
    try:
        case, folder = case_from_upload([(f.name, f.getvalue()) for f in uploaded])
    except CaseError as exc:
        st.session_state[f"{key}_outcome"] = (signature, exc)
        show_error(exc)
        return None
    except Exception as exc:  # the edge: any surprise in a user's file is a message, not a crash
        error = ValueError(f"could not read the upload: {exc}")
        st.session_state[f"{key}_outcome"] = (signature, error)
        show_error(error)
        return None
    source = next(f.name for f in uploaded if Path(f.name).suffix.lower() in CASE_SUFFIXES)
    current = set_case(case, f"uploaded {source}", folder)
    message = f"Opened **{case.name}** from {source}: {len(case.members)} members."
    st.session_state[f"{key}_outcome"] = (signature, message)
    st.success(message, icon=":material/check_circle:")
    return current


def _without_zones(frame: pd.DataFrame) -> pd.DataFrame:
    """XLSX holds no time zones: local wall-clock times instead."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_localize(None)
    if isinstance(out.index, pd.DatetimeIndex) and out.index.tz is not None:
        out.index = out.index.tz_localize(None)
    return out


def _keeps_index(frame: pd.DataFrame) -> bool:
    return frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex)


def table_csv(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV bytes (a named or non-default index is kept).

    Examples
    --------
    >>> table_csv(pd.DataFrame({"a": [1]})).decode().splitlines()
    ['a', '1']
    """
    return frame.to_csv(index=_keeps_index(frame)).encode("utf-8")


def table_xlsx(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    """A table as an XLSX workbook (one sheet; time zones dropped to local wall-clock time)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as book:
        _without_zones(frame).to_excel(book, sheet_name=sheet[:31], index=_keeps_index(frame))
    return buffer.getvalue()


def _lazy(make: Callable[[], bytes]) -> Callable[[], bytes]:
    # Built when clicked, so a page does not pay for every export on every run.
    return make


def download_table(frame: pd.DataFrame, name: str, key: str | None = None) -> None:
    """CSV and XLSX download buttons for a table.

    Parameters
    ----------
    frame : pandas.DataFrame
    name : str
        File name without suffix (also the widget keys' stem).
    key : str, optional
        Widget key stem (default ``name``).
    """
    stem = key or name
    row = st.container(horizontal=True)
    with row:
        st.download_button(f"{name}.csv", _lazy(lambda: table_csv(frame)), file_name=f"{name}.csv",
                           mime="text/csv", key=f"{stem}_csv", icon=":material/download:",
                           on_click="ignore")
        st.download_button(
            f"{name}.xlsx", _lazy(lambda: table_xlsx(frame, name)), file_name=f"{name}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"{stem}_xlsx", icon=":material/download:", on_click="ignore")


def figure_html(fig: go.Figure) -> bytes:
    """A figure as a self-contained HTML page (plotly.js included, works offline)."""
    return fig.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")


def download_figure(fig: go.Figure, name: str, key: str | None = None) -> None:
    """An HTML download button for an interactive figure.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
    name : str
        File name without suffix.
    key : str, optional
        Widget key (default ``name`` + ``_html``).
    """
    st.download_button(f"{name}.html", _lazy(lambda: figure_html(fig)), file_name=f"{name}.html",
                       mime="text/html", key=key or f"{name}_html", icon=":material/download:",
                       on_click="ignore")


# --- the members table of Home: a case as rows, and rows back into a case --------------------

MEMBER_COLUMNS = ("name", "kind", "tariff", "sector", "annual_kwh", "pv_kwp", "pv_annual_kwh", "wind_kw",
                  "wind_annual_kwh", "battery_kwh", "battery_kw")
"""Columns of the editable members table (energy kWh per year, power kW)."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value == ""


def members_frame(case: Any) -> pd.DataFrame:
    """The members of a case as an editable table, one row each (:data:`MEMBER_COLUMNS`).

    ``pv_kwp`` and ``wind_kw`` sum a member's modelled arrays (measured ones are not in the
    table); ``pv_annual_kwh`` and ``wind_annual_kwh`` are the yearly volumes those arrays are
    scaled to (blank: as the weather gives); ``sector`` and ``annual_kwh`` are blank for a
    metered load.

    Examples
    --------
    >>> from gridshare.app.state import load_example
    >>> row = members_frame(load_example("community_households.yaml")).loc[0]
    >>> row["name"], float(row["pv_kwp"])
    ('h01', 4.0)
    """
    rows = []
    for m in case.members:
        load = m.load
        battery = m.battery
        rows.append({
            "name": m.name, "kind": m.kind, "tariff": m.tariff,
            "sector": load.sector if load is not None else None,
            "annual_kwh": load.annual_kwh if load is not None else None,
            "pv_kwp": sum(p.kwp for p in m.pv if p.kwp is not None) if m.pv else 0.0,
            "pv_annual_kwh": _volume([p for p in m.pv if p.kwp is not None]),
            "wind_kw": sum(w.capacity_kw for w in m.wind if w.capacity_kw is not None) if m.wind else 0.0,
            "wind_annual_kwh": _volume([w for w in m.wind if w.capacity_kw is not None]),
            "battery_kwh": battery.energy_kwh if battery is not None else 0.0,
            "battery_kw": max(battery.charge_limit_kw, battery.discharge_limit_kw) if battery else 0.0,
        })
    frame = pd.DataFrame(rows, columns=list(MEMBER_COLUMNS))
    for column in ("annual_kwh", "pv_kwp", "pv_annual_kwh", "wind_kw", "wind_annual_kwh", "battery_kwh",
                   "battery_kw"):
        frame[column] = frame[column].astype(float)
    return frame


def _volume(assets: list[Any]) -> float | None:
    """Sum of the assets' yearly volumes, kWh; None unless every one is scaled to a volume."""
    if not assets or any(a.annual_kwh is None for a in assets):
        return None
    return float(sum(a.annual_kwh for a in assets))


def _with_volume(assets: list[dict[str, Any]], key: str, volume: Any) -> list[dict[str, Any]]:
    """Modelled assets with ``volume`` kWh a year shared in proportion to size (blank: unscaled)."""
    modelled = [a for a in assets if a.get(key) is not None]
    size = sum(float(a[key]) for a in modelled)
    out = []
    for a in assets:
        if a.get(key) is None:
            out.append(a)
        elif _blank(volume):
            out.append({k: v for k, v in a.items() if k != "annual_kwh"})
        else:
            out.append({**a, "annual_kwh": float(volume) * float(a[key]) / size})
    return out


def _sized(assets: list[dict[str, Any]], key: str, total: Any) -> list[dict[str, Any]]:
    """Modelled assets rescaled so their ``key`` sums to ``total``; measured ones kept as they are."""
    measured = [a for a in assets if a.get(key) is None]
    modelled = [a for a in assets if a.get(key) is not None]
    if _blank(total) or float(total) <= 0.0:
        return measured
    total = float(total)
    now = sum(float(a[key]) for a in modelled)
    if not modelled:
        return [*measured, {key: total}]
    if abs(now - total) <= 1e-12:
        return assets
    if now <= 0.0:
        return [*measured, {**modelled[0], key: total}, *modelled[1:]]
    return [*measured, *({**a, key: float(a[key]) * total / now} for a in modelled)]


def apply_members(case: Any, frame: pd.DataFrame, folder: str | Path = ".") -> Any:
    """A new case with the members of ``frame`` (an edited :func:`members_frame`).

    Rows are matched to members by name: a kept member keeps every field the table does not show
    (PV tilt, battery efficiencies, PPA shares, ...); a new name is a new member with what its
    row gives. Blank or zero PV, wind or battery removes that asset.

    Parameters
    ----------
    case : Case
        The case edited.
    frame : pandas.DataFrame
        Rows of :data:`MEMBER_COLUMNS`.
    folder : str or Path
        Folder relative data-file paths resolve against.

    Returns
    -------
    Case

    Raises
    ------
    CaseError
        Listing every problem of the edited case (``members[i](name).field``).
    """
    import copy

    from gridshare.case import case_to_dict

    data = case_to_dict(case)
    old = {m["name"]: m for m in data["members"]}
    members = []
    problems: list[dict[str, Any]] = []
    for row in frame.to_dict("records"):
        name = "" if _blank(row.get("name")) else str(row["name"]).strip()
        if not name and all(_blank(row.get(c)) or row.get(c) == 0 for c in MEMBER_COLUMNS):
            continue  # an empty row added and left blank
        member = copy.deepcopy(old.get(name, {}))
        member["name"] = name
        member["kind"] = "prosumer" if _blank(row.get("kind")) else str(row["kind"])
        if _blank(row.get("tariff")):
            member.pop("tariff", None)
        else:
            member["tariff"] = str(row["tariff"])
        sector, annual = row.get("sector"), row.get("annual_kwh")
        if not (_blank(sector) and _blank(annual)):
            load = {k: v for k, v in (member.get("load") or {}).items()
                    if k in ("noise", "seed") and "file" not in (member.get("load") or {})}
            if not _blank(sector):
                load["sector"] = str(sector)
            if not _blank(annual):
                load["annual_kwh"] = float(annual)
            member["load"] = load
        for section, key, column in (("pv", "kwp", "pv_kwp"), ("wind", "capacity_kw", "wind_kw")):
            assets = _sized(list(member.get(section) or []), key, row.get(column))
            volume = row.get(f"{section}_annual_kwh")
            if not any(a.get(key) is not None for a in assets):
                if not _blank(volume) and float(volume) > 0:
                    problems.append({"path": f"members[{len(members)}]({name}).{section}_annual_kwh",
                                     "value": volume, "message": f"a {section} volume needs a {section} size "
                                     f"({column}) to scale"})
            else:
                assets = _with_volume(assets, key, volume)
            if assets:
                member[section] = assets
            else:
                member.pop(section, None)
        energy, power = row.get("battery_kwh"), row.get("battery_kw")
        if _blank(energy) or float(energy) <= 0.0:
            member.pop("battery", None)
        else:
            battery = dict(member.get("battery") or {})
            battery["energy_kwh"] = float(energy)
            shown = max(float(battery.get("charge_kw") or battery.get("power_kw") or 0.0),
                        float(battery.get("discharge_kw") or battery.get("power_kw") or 0.0))
            if _blank(power):
                battery.pop("power_kw", None)
            elif abs(float(power) - shown) > 1e-12 or "power_kw" in battery:
                battery = {k: v for k, v in battery.items() if k not in ("charge_kw", "discharge_kw")}
                battery["power_kw"] = float(power)
            member["battery"] = battery
        members.append(member)
    data["members"] = members
    source = "the edited members table"
    try:
        case = validate_case(data, base_dir=folder, source=source)
    except CaseError as exc:
        raise CaseError(problems + exc.problems, source) from None
    if problems:
        raise CaseError(problems, source)
    return case

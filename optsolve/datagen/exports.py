"""Durable files and dataset exports.

* Atomic writes (:func:`atomic_write_bytes`: tmp file + fsync + rename + directory fsync), so a file
  that exists under its final name is always complete, whatever kills the process.
* The append-only chunk journal and ``manifest.json``.
* The export formats, usable as they are by TRL and LLaMA-Factory:

  - records: ``id, family, level, template, complexity, text, formulation, status, objective``;
  - SFT: ``messages`` = system, user (the text), assistant (the formulation, compact JSON);
  - DPO: ``prompt`` (system + user messages), ``chosen`` / ``rejected`` (one assistant message each):
    TRL's conversational preference format;
  - ranked lists: ``prompt``, ``completions`` (assistant message lists), ``scores`` (1.0 = gold);
  - ``llamafactory/``: the DPO pairs in LLaMA-Factory's alpaca ranking format, and ``dataset_info.json``
    at the root describing every SFT / DPO file for LLaMA-Factory.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optsolve.errors import DatagenError

SYSTEM_PROMPT = (
    "You are an operations research modelling assistant. Read the optimization problem and answer with "
    "one Formulation v1 JSON object (sets, parameters, variables, objective, constraints) that models it "
    "exactly. Answer with the JSON only."
)

LEVEL_RANK = {"easy": 0, "medium": 1, "hard": 2}
SPLITS = ("train", "validation", "test", "hard")


# --- durable writes ----------------------------------------------------------------------------

def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is either the old file or the complete new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def dumps_line(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=False)


def jsonl_bytes(rows: Iterable[Any]) -> bytes:
    return "".join(dumps_line(r) + "\n" for r in rows).encode("utf-8")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_jsonl(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@dataclass
class FileEntry:
    path: str          # relative to the output directory
    kind: str          # shard, records, sft, dpo, ranked, llamafactory_dpo, errors, parquet, info
    count: int
    sha256: str
    bytes: int
    split: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {"path": self.path, "kind": self.kind, "count": self.count, "sha256": self.sha256,
             "bytes": self.bytes}
        if self.split is not None:
            d["split"] = self.split
        return d


def write_file(out: Path, rel: str, data: bytes, kind: str, count: int, split: str | None = None) -> FileEntry:
    atomic_write_bytes(out / rel, data)
    return FileEntry(rel, kind, count, sha256_bytes(data), len(data), split)


def write_jsonl(out: Path, rel: str, rows: Sequence[Any], kind: str, split: str | None = None) -> FileEntry:
    return write_file(out, rel, jsonl_bytes(rows), kind, len(rows), split)


def disk_full_error(exc: OSError, where: Path) -> DatagenError:
    reason = "the disk is full" if exc.errno == errno.ENOSPC else f"writing failed ({exc.strerror or exc})"
    return DatagenError(
        f"{reason} while writing {where}; the run stopped, every finished shard is intact and "
        "manifest.json lists them",
        hint="free some space (or pick another --out) and rerun the same command: it resumes where it stopped",
        details={"errno": exc.errno},
    )


# --- journal ------------------------------------------------------------------------------------

class Journal:
    """Append-only JSONL log of finished chunks; each line is fsync'ed before the next chunk counts."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:  # a line cut short by a kill: that chunk is redone
                    continue
                if isinstance(obj, dict) and "chunk" in obj:
                    out.append(obj)
        return out

    def append(self, entry: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = (dumps_line(entry) + "\n").encode()
        with open(self.path, "ab") as fh:
            # a torn last line from a previous kill would glue onto ours: start on a fresh line
            if fh.tell() > 0:
                with open(self.path, "rb") as rf:
                    rf.seek(-1, os.SEEK_END)
                    if rf.read(1) != b"\n":
                        data = b"\n" + data
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


# --- export rows --------------------------------------------------------------------------------

def compact(formulation: dict[str, Any]) -> str:
    return json.dumps(formulation, ensure_ascii=False, separators=(",", ":"))


RECORD_KEYS = ("id", "family", "level", "template", "complexity", "text", "formulation", "status", "objective")


def record_row(rec: dict[str, Any], split: str) -> dict[str, Any]:
    row = {k: rec.get(k) for k in RECORD_KEYS}
    row["kind"] = rec.get("kind")
    row["verified"] = rec.get("verified")
    row["split"] = split
    return row


def prompt_messages(text: str, system_prompt: str = SYSTEM_PROMPT) -> list[dict[str, str]]:
    return [{"role": "system", "content": system_prompt}, {"role": "user", "content": text}]


def assistant(content: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": content}]


def sft_row(rec: dict[str, Any], system_prompt: str = SYSTEM_PROMPT) -> dict[str, Any]:
    return {"id": rec["id"],
            "messages": prompt_messages(rec["text"], system_prompt) + assistant(compact(rec["formulation"]))}


def dpo_rows(rec: dict[str, Any], system_prompt: str = SYSTEM_PROMPT) -> list[dict[str, Any]]:
    chosen = assistant(compact(rec["formulation"]))
    out = []
    for n, rej in enumerate(rec.get("rejected") or []):
        out.append({
            "id": f"{rec['id']}#{n}",
            "prompt": prompt_messages(rec["text"], system_prompt),
            "chosen": chosen,
            "rejected": assistant(compact(rej["formulation"])),
            "rejected_kind": rej["kind"],
            "rejected_source": rej.get("source", "corruption"),
            "level": rec["level"],
            "complexity": rec["complexity"],
        })
    return out


def ranked_row(rec: dict[str, Any], system_prompt: str = SYSTEM_PROMPT) -> dict[str, Any] | None:
    rejected = rec.get("rejected") or []
    if not rejected:
        return None
    items = [(1.0, compact(rec["formulation"]), "gold")]
    items += [(float(r["score"]), compact(r["formulation"]), r["kind"]) for r in rejected]
    items.sort(key=lambda t: -t[0])  # stable: gold first, then near misses, then invalid ones
    return {
        "id": rec["id"],
        "prompt": prompt_messages(rec["text"], system_prompt),
        "completions": [assistant(c) for _, c, _ in items],
        "scores": [s for s, _, _ in items],
        "kinds": [k for _, _, k in items],
        "level": rec["level"],
        "complexity": rec["complexity"],
    }


def llamafactory_dpo_rows(rec: dict[str, Any], system_prompt: str = SYSTEM_PROMPT) -> list[dict[str, Any]]:
    chosen = compact(rec["formulation"])
    return [{"system": system_prompt, "instruction": rec["text"], "input": "", "chosen": chosen,
             "rejected": compact(r["formulation"])} for r in rec.get("rejected") or []]


def llamafactory_dataset_info(present: dict[str, list[str]]) -> dict[str, Any]:
    """``dataset_info.json`` for LLaMA-Factory (``dataset_dir`` = the output directory)."""
    info: dict[str, Any] = {}
    for split in present.get("sft", []):
        info[f"optsolve_sft_{split}"] = {
            "file_name": f"sft/{split}.jsonl",
            "formatting": "sharegpt",
            "columns": {"messages": "messages"},
            "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                     "assistant_tag": "assistant", "system_tag": "system"},
        }
    for split in present.get("llamafactory_dpo", []):
        info[f"optsolve_dpo_{split}"] = {
            "file_name": f"llamafactory/dpo_{split}.jsonl",
            "ranking": True,
            "columns": {"prompt": "instruction", "query": "input", "chosen": "chosen",
                        "rejected": "rejected", "system": "system"},
        }
    return info


def curriculum_key(row: dict[str, Any]) -> tuple[int, float, str]:
    return (LEVEL_RANK.get(str(row.get("level")), 3), float(row.get("complexity") or 0.0), str(row.get("id")))


# --- splits ---------------------------------------------------------------------------------------

def _stable_order(items: Iterable[str], seed: int, salt: str) -> list[str]:
    return sorted(items, key=lambda s: hashlib.sha256(f"{seed}:{salt}:{s}".encode()).hexdigest())


@dataclass
class SplitPlan:
    family: dict[str, str]                    # family -> split (held-out families)
    template: dict[tuple[str, str], str]      # (family, template) -> split (held-out templates)

    def split_of(self, family: str, template: str) -> str:
        if family in self.family:
            return self.family[family]
        return self.template.get((family, template), "train")

    def to_dict(self) -> dict[str, Any]:
        by_split: dict[str, dict[str, list[str]]] = {}
        for fam, sp in sorted(self.family.items()):
            by_split.setdefault(sp, {}).setdefault("families", []).append(fam)
        for (fam, tpl), sp in sorted(self.template.items()):
            by_split.setdefault(sp, {}).setdefault("templates", []).append(f"{fam}/{tpl}")
        return by_split


def plan_splits(templates: dict[str, list[str]], *, seed: int = 0, val_frac: float = 0.1,
                test_frac: float = 0.1, by: Sequence[str] = ("family", "template"),
                test_families: Sequence[str] = (), val_families: Sequence[str] = ()) -> SplitPlan:
    """Hold whole families, then templates of the other families, out of train, so that each held-out
    split gets about ``frac`` of the data (every family and, inside one, every template counted as
    equally frequent, as the engine generates them).

    Families: the named ones, else (with 3 families or more) about half of each split's share as whole
    families (at least one when the fraction is positive; all of it when splitting by family only),
    chosen by a seeded hash order. Templates: (family, template) pairs of the remaining families, in a
    seeded hash order, fill each split up to its share; a family always keeps at least one training
    template. A held-out family or template never appears in train.
    """
    fams = sorted(templates)
    n_f = len(fams)
    family: dict[str, str] = {}
    by_template = "template" in by
    if test_families or val_families:
        for f in test_families:
            family[f] = "test"
        for f in val_families:
            family.setdefault(f, "validation")
    elif "family" in by and n_f >= 3:
        share = 0.5 if by_template else 1.0
        order = _stable_order(fams, seed, "family")
        n_test = max(1, round(test_frac * share * n_f)) if test_frac > 0 else 0
        n_val = max(1, round(val_frac * share * n_f)) if val_frac > 0 else 0
        if n_test + n_val >= n_f:  # keep at least one training family
            n_val = max(0, n_f - 1 - n_test)
        for f in order[:n_test]:
            family[f] = "test"
        for f in order[n_test:n_test + n_val]:
            family[f] = "validation"
    template: dict[tuple[str, str], str] = {}
    if by_template and n_f:
        held = {sp: sum(1 for v in family.values() if v == sp) / n_f for sp in ("test", "validation")}
        target = {"test": test_frac, "validation": val_frac}
        left = {f: len(set(templates[f])) for f in fams}
        pairs = [(f, t) for f in fams if f not in family for t in sorted(set(templates[f]))]
        for f, t in sorted(pairs, key=lambda p: hashlib.sha256(f"{seed}:tpl:{p[0]}/{p[1]}".encode()).hexdigest()):
            if left[f] <= 1:
                continue
            w = 1.0 / (n_f * len(set(templates[f])))
            for sp in ("test", "validation"):
                if target[sp] > 0 and held[sp] + w / 2 <= target[sp]:
                    template[(f, t)] = sp
                    held[sp] += w
                    left[f] -= 1
                    break
    return SplitPlan(family, template)


def shuffled(rows: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    out = list(rows)
    random.Random(seed).shuffle(out)
    return out


# --- parquet ---------------------------------------------------------------------------------------

def parquet_bytes(rows: Sequence[dict[str, Any]]) -> bytes:
    """Rows as Parquet; nested values with free-form keys (formulations) are stored as JSON strings."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - pyarrow is in the data extra
        raise DatagenError("--parquet needs pyarrow", hint="pip install 'optsolve[data]'") from exc
    cols: dict[str, list[Any]] = {}
    keys: list[str] = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols[k] = []
                keys.append(k)
    for r in rows:
        for k in keys:
            v = r.get(k)
            if k in ("formulation",) and v is not None:
                v = compact(v)
            cols[k].append(v)
    table = pa.table({k: cols[k] for k in keys}) if rows else pa.table({})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())

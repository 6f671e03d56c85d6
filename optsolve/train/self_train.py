"""Self-training on unlabelled problem texts, filtered by their entity tags.

NL4Opt publishes 713 training texts with entity tags (``VAR``, ``PARAM``, ``LIMIT``, ``CONST_DIR``,
``OBJ_DIR``, ``OBJ_NAME``) but no formulations. The tags are enough to reject most wrong models without
knowing the answer, so the texts become training data by rejection sampling (as OptMATH filters its
back-translations by forward modeling): the formalizer samples ``k`` candidates for a text, and a
candidate is kept only when

* it solves to an optimum;
* its objective sense agrees with the ``OBJ_DIR`` words;
* every ``PARAM`` and ``LIMIT`` number of the text appears in it (as written, or as a percentage);
* its number of variables equals the distinct ``VAR`` mentions (plural/suffix folded), and its number of
  constraints is the number of ``CONST_DIR`` mentions or up to two more (the taggers miss a direction
  word in about a third of the texts: measured on the dev split's gold, where the counts agree in 64 of
  99 and the tags under-count by one in 30);

and then the candidates that pass vote by objective value (self-consistency); a text is labelled with
the most-voted one when it has ``min_votes`` votes. The labelled texts are ordinary records
(``text``, ``formulation``) for ``optsolve train pointer --init``. :func:`calibrate` measures the filter's
precision on texts whose gold optimum is known (the NL4Opt dev split) before any label is trusted.
"""

from __future__ import annotations

import copy
import json
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optsolve.errors import DatagenError, InputError

NUMBER_LABELS = ("PARAM", "LIMIT")


@dataclass
class TaggedText:
    """A problem text and its entity mentions, ``(label, surface)`` in reading order."""

    id: str
    text: str
    entities: list[tuple[str, str]] = field(default_factory=list)

    def of(self, label: str) -> list[str]:
        return [s for lab, s in self.entities if lab == label]


def _detokenize(tokens: list[str]) -> str:
    s = " ".join(tokens)
    s = re.sub(r" ([,.?!;:%)\]])", r"\1", s)
    s = re.sub(r"([$(\[]) ", r"\1", s)
    s = re.sub(r" (n't|'s|'re|'ll|'ve|'d)\b", r"\1", s)
    return s


def read_conll(path: str | Path) -> list[TaggedText]:
    """Documents of a CoNLL-style NER file (token, _, _, BIO tag; blank lines between documents)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"no tagged texts at {p}", hint="point --texts at an NER file such as ner_train.txt")
    docs: list[TaggedText] = []
    tokens: list[str] = []
    tags: list[str] = []

    def flush() -> None:
        if not tokens:
            return
        ents: list[tuple[str, list[str]]] = []
        for tok, tag in zip(tokens, tags, strict=True):
            if tag.startswith("B-") or (tag.startswith("I-") and (not ents or ents[-1][0] != tag[2:])):
                ents.append((tag[2:], [tok]))
            elif tag.startswith("I-"):
                ents[-1][1].append(tok)
        docs.append(TaggedText(f"{p.stem}-{len(docs)}", _detokenize(tokens),
                               [(lab, _detokenize(toks)) for lab, toks in ents]))
        tokens.clear()
        tags.clear()

    for line in p.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts:
            flush()
            continue
        if parts[0] == "-DOCSTART-":
            continue
        tokens.append(parts[0])
        tags.append(parts[-1] if len(parts) > 1 else "O")
    flush()
    return docs


def from_generation_record(doc_id: str, rec: dict[str, Any]) -> TaggedText:
    """The same view of an NL4Opt generation record (its ``spans`` are the entity tags)."""
    text = str(rec["document"])
    spans = sorted(rec.get("spans") or [], key=lambda s: int(s["start"]))
    return TaggedText(doc_id, text, [(str(s["label"]), text[int(s["start"]):int(s["end"])]) for s in spans])


def _fold(name: str) -> str:
    words = re.sub(r"[^a-z0-9 ]+", " ", name.lower()).split()
    return " ".join(w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words)


def distinct_vars(t: TaggedText) -> int:
    """Distinct variable mentions: lower-cased, plural folded, a name that is the head or tail of a
    longer one ("carts" of "ox carts") counted once. Matches the gold variable count in 81 of the 99
    NL4Opt dev texts."""
    names = {f for f in (_fold(s) for s in t.of("VAR")) if f}
    keep = set(names)
    for a in names:
        for b in names:
            if a != b and (b.endswith(" " + a) or b.startswith(a + " ")):
                keep.discard(a)
    return len(keep)


def sense_of(t: TaggedText) -> str | None:
    from optsolve.formalize.nl4opt import _sense

    for s in t.of("OBJ_DIR"):
        try:
            return _sense(s)
        except DatagenError:
            continue
    return None


def tagged_numbers(t: TaggedText) -> list[float]:
    from optsolve.formalize.nl4opt import parse_number

    out: list[float] = []
    for lab in NUMBER_LABELS:
        for s in t.of(lab):
            try:
                out.append(parse_number(s))
            except DatagenError:
                continue
    return out


_NUM = re.compile(r"(?<![A-Za-z_])\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def formulation_numbers(f: dict[str, Any]) -> list[float]:
    """Every number a formulation uses: parameter values and literals in its expressions."""
    out: list[float] = []

    def walk(x: Any) -> None:
        if isinstance(x, bool):
            return
        if isinstance(x, int | float):
            out.append(float(x))
        elif isinstance(x, str):
            out.extend(float(m) for m in _NUM.findall(x))
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    for part in ("parameters", "objective", "constraints"):
        walk(f.get(part) or {})
    return out


def _has(values: Iterable[float], v: float) -> bool:
    """``v`` among ``values``, or the same percentage written the other way (a fraction below 1
    against its percent), so 40% matches 0.4 and 40, but 1 never matches 100."""
    forms = [v] + ([v * 100.0] if v < 1 else []) + ([v / 100.0] if v / 100.0 < 1 else [])
    return any(math.isclose(u, w, rel_tol=1e-6, abs_tol=1e-9) for u in values for w in forms)


_TERM = re.compile(r"(?<![A-Za-z_\d.])(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*\*")


def roles(formulation: dict[str, Any]) -> tuple[list[float], list[float]]:
    """Numbers written as coefficients (``3 * x``) and numbers standing alone (``<= 200``) in the
    objective and constraint expressions."""
    coefs: list[float] = []
    alone: list[float] = []
    exprs = [str((formulation.get("objective") or {}).get("expr", ""))]
    exprs += [str(c.get("expr", "")) for c in (formulation.get("constraints") or {}).values()
              if isinstance(c, dict)]
    for e in exprs:
        c = [float(m) for m in _TERM.findall(e)]
        coefs += c
        every = [float(m) for m in _NUM.findall(e)]
        for v in c:
            every.remove(v)
        alone += every
    return coefs, alone


def _words(s: str) -> list[str]:
    return [w for w in _fold(s.replace("_", " ")).split() if len(w) >= 3]


def _named(var: str, mentions: list[str]) -> bool:
    """A variable's name shares a word (or a word's prefix, 'fold' of 'foldable') with a VAR mention."""
    vw = _words(var)
    for m in mentions:
        for a in _words(m):
            if any(a.startswith(b) or b.startswith(a) for b in vw):
                return True
    return not vw


def check(t: TaggedText, formulation: dict[str, Any]) -> list[str]:
    """Why a candidate formulation disagrees with the text's tags (empty: it agrees)."""
    from optsolve.formulation import Formulation, ground

    why: list[str] = []
    sense = sense_of(t)
    got = str((formulation.get("objective") or {}).get("sense", ""))
    if sense is not None and got != sense:
        why.append(f"objective {got}, the text says {sense}")
    used = formulation_numbers(formulation)
    missing = [v for v in tagged_numbers(t) if not _has(used, v)]
    if missing:
        why.append(f"numbers of the text not used: {missing[:4]}")
    mentions = t.of("VAR")
    unnamed = [v for v in (formulation.get("variables") or {}) if mentions and not _named(v, mentions)]
    if unnamed:
        why.append(f"variables not named in the text: {unnamed[:3]}")
    if not formulation.get("parameters"):
        # the roles are read off inline numbers only (an indexed model keeps them in parameters)
        from optsolve.formalize.nl4opt import parse_number

        coefs, alone = roles(formulation)
        params = []
        for s in t.of("PARAM"):
            try:
                params.append(parse_number(s))
            except DatagenError:
                continue
        limits = [v for v in tagged_numbers(t) if not any(math.isclose(v, p) for p in params)]
        miscast = [v for v in alone if v != 0 and not _has(limits, v) and _has(params, v)]
        if miscast:
            why.append(f"coefficients of the text used as limits: {miscast[:3]}")
        uncoef = [v for v in params if not _has(coefs, v)]
        if uncoef:
            why.append(f"coefficients of the text not multiplying a variable: {uncoef[:3]}")
    try:
        g = ground(Formulation.model_validate(formulation))
    except Exception as exc:  # a candidate that does not ground is simply rejected
        return [*why, f"does not ground: {type(exc).__name__}"]
    nv = distinct_vars(t)
    if nv and g.n_vars != nv:
        why.append(f"{g.n_vars} variables, the text names {nv}")
    nc = len(t.of("CONST_DIR"))
    if nc and not nc <= g.n_constraints <= nc + 2:
        why.append(f"{g.n_constraints} constraints, the text has {nc} constraint words")
    return why


@dataclass
class Label:
    id: str
    text: str
    formulation: dict[str, Any] | None
    objective: float | None
    votes: int
    samples: int
    passed: int
    reasons: dict[str, int] = field(default_factory=dict)


#: one sample of a formalizer: (formulation when it solved, else None; its objective; first/greedy)
Sample = tuple[dict[str, Any] | None, float | None, bool]
Sampler = Callable[[int, str], list[Sample]]


def model_sampler(model_dir: str, k: int, temperature: float, seed: int) -> Sampler:
    """``k`` samples (greedy first) of a model directory the embedded backend loads, each solved."""
    from optsolve.train.pointer import load_formalizer
    from optsolve.train.runtime import check_candidate

    model = load_formalizer(model_dir)

    def draw(i: int, text: str) -> list[Sample]:
        gen, values = model.generate(text, k=k, temperature=temperature, seed=seed + i, greedy=True)
        out: list[Sample] = []
        for c in gen.candidates:
            check_candidate(c, values)
            out.append((c.formulation if c.ok else None, c.objective, c.greedy))
        return out

    return draw


def backend_sampler(backend: Any, k: int, temperature: float, seed: int, max_attempts: int = 2,
                    time_limit: float = 5.0) -> Sampler:
    """``k`` samples of any LLM backend (OpenAI-compatible server, vLLM, transformers...), each through
    the formalizer's repair loop and solved, as ``--samples k`` draws them."""
    from optsolve.errors import LLMBackendError
    from optsolve.formalize import FormalizeOptions, sample_outcomes

    def draw(i: int, text: str) -> list[Sample]:
        opts = FormalizeOptions(samples=k, temperature=temperature, seed=seed + i, max_attempts=max_attempts,
                                time_limit=time_limit)
        try:
            outcomes = sample_outcomes(text, opts, backend)
        except LLMBackendError:
            raise  # the endpoint is down or misconfigured: every later text would fail the same way
        except (InputError, DatagenError):
            return []
        return [(o.formulation if o.ok and o.result is not None and o.result.objective is not None else None,
                 o.result.objective if o.result is not None else None, o.sample == 0) for o in outcomes]

    return draw


def label_texts(model_dir: str | None, texts: list[TaggedText], k: int = 16, temperature: float = 1.0,
                seed: int = 0, min_votes: int = 2, progress: bool = True,
                sampler: Sampler | None = None, on_label: Callable[[Label], Any] | None = None
                ) -> tuple[list[Label], dict[str, Any]]:
    """Sample, filter by the tags, vote; one :class:`Label` per text (``formulation`` None when none
    passed with enough votes). The samples come from ``sampler`` (see :func:`backend_sampler`) or,
    by default, from the model directory ``model_dir``."""
    from tqdm import tqdm

    if sampler is None:
        if model_dir is None:
            raise InputError("nothing to sample from", hint="pass a model directory or an LLM backend")
        sampler = model_sampler(model_dir, k, temperature, seed)
    labels: list[Label] = []
    stats: dict[str, Any] = {"texts": len(texts), "samples": 0, "solved": 0, "passed": 0, "labelled": 0}
    t0 = time.perf_counter()
    for i, t in enumerate(tqdm(texts, disable=not progress, desc="self-label", mininterval=5)):
        samples = sampler(i, t.text)
        groups: dict[float, list[tuple[dict[str, Any], bool]]] = {}
        reasons: dict[str, int] = {}
        passed = 0
        for formulation, objective, first in samples:
            stats["samples"] += 1
            if formulation is None or objective is None:
                reasons["does not solve"] = reasons.get("does not solve", 0) + 1
                continue
            stats["solved"] += 1
            why = check(t, formulation)
            for w in why:
                key = w.split(",")[0].split(":")[0]
                reasons[key] = reasons.get(key, 0) + 1
            if why:
                continue
            passed += 1
            groups.setdefault(round(float(objective), 6), []).append((formulation, first))
        stats["passed"] += passed
        best_obj, best = max(groups.items(), key=lambda g: (len(g[1]), any(f for _, f in g[1])),
                             default=(None, []))
        ok = bool(best) and len(best) >= min_votes
        chosen = next((f for f, first in best if first), best[0][0] if best else None)
        stats["labelled"] += ok
        labels.append(Label(t.id, t.text, chosen if ok else None, best_obj if ok else None, len(best),
                            len(samples), passed, reasons))
        if on_label is not None:
            on_label(labels[-1])
    stats["seconds"] = round(time.perf_counter() - t0, 1)
    return labels, stats


def calibrate(model_dir: str | None, dev_path: str | Path | None = None, k: int = 16,
              temperature: float = 1.0, seed: int = 0, min_votes: int = 2, limit: int | None = None,
              progress: bool = True, sampler: Sampler | None = None) -> dict[str, Any]:
    """The filter's yield and precision on texts with a known optimum (NL4Opt dev, gold structure;
    the label's objective is compared with integers relaxed, as the gold has no integrality)."""
    from optsolve.formalize.nl4opt import DEFAULT_DEV, read_records, to_formulation
    from optsolve.solvers import SolveOptions, solve
    from optsolve.train.evaluate import strict_match
    from optsolve.train.runtime import relax_integers

    recs = list(read_records(dev_path or DEFAULT_DEV))[:limit]
    texts = [from_generation_record(i, r) for i, r in recs]
    labels, stats = label_texts(model_dir, texts, k=k, temperature=temperature, seed=seed,
                                min_votes=min_votes, progress=progress, sampler=sampler)
    right = 0
    for (_, rec), lab in zip(recs, labels, strict=True):
        if lab.formulation is None:
            continue
        gold = solve(to_formulation(rec)).objective
        relaxed = relax_integers(copy.deepcopy(lab.formulation))
        right += strict_match(solve(relaxed, SolveOptions(time_limit=5, explain=False)).objective, gold)
    stats["right"] = right
    stats["precision"] = round(right / max(1, stats["labelled"]), 4)
    return stats


class RecordWriter:
    """Labelled texts as records (``text``, ``formulation``, ``source``, ``votes``), one line each,
    flushed as they come: a long labelling run that stops keeps what it labelled."""

    def __init__(self, path: str | Path) -> None:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        self.fh = p.open("w", encoding="utf-8")
        self.written = 0

    def add(self, lab: Label) -> None:
        if lab.formulation is None:
            return
        self.fh.write(json.dumps({"id": lab.id, "text": lab.text, "formulation": lab.formulation,
                                  "source": "self-label", "votes": lab.votes}) + "\n")
        self.fh.flush()
        self.written += 1

    def close(self) -> None:
        self.fh.close()


def write_records(labels: list[Label], path: str | Path) -> int:
    """The labelled texts of ``labels`` as records at ``path``; returns how many."""
    w = RecordWriter(path)
    try:
        for lab in labels:
            w.add(lab)
    finally:
        w.close()
    return w.written

"""Annotated NL4Opt training texts: a terse label file -> checked training records.

NL4Opt publishes 713 training texts with entity tags but no formulations. ``data/nl4opt_train_labels.txt``
annotates them in a small line language (one block per document of ``ner_train.txt``, by its 0-based
index), written in the NL4Opt competition's own model vocabulary (sums, linear rows, bounds, ``x <= y``,
``x <= k * y`` and shares of the total), with nonnegative continuous variables as in NL4Opt's gold::

    # 137
    v: lined paper | graph paper   # variables, named as the text names them (a, b, c... in order)
    max: 11 13                     # objective coefficients in variable order ("sum": all ones)
    2 2 <= 3500                    # a linear row: one coefficient per variable (0 when absent)
    6 10 <= 3500

and the other row kinds: ``a <= b`` (x <= y), ``a >= 2 b`` (x >= 2 * y), ``a <= 40`` (a bound),
``a >= 30% all`` (a share of the total: a >= 0.3 * (a + b)), ``all <= 100`` (the sum of every
variable); ``<=``, ``>=`` or ``==``; text after two spaces and ``#`` is a comment.

``skip: why`` marks a text the language cannot state. Numbers are written as the text writes them
(``1.50``, ``15%``, ``third``, ``twice``) and read by the NL4Opt number reader, so the pointer formalizer
can point at them. Every annotation is checked before it becomes a record (:func:`records`): it must
solve to a finite optimum (a label that does not is never a record), and it is checked against the
text's gold entity tags (:func:`self_train.check`: objective sense, every tagged number used in its
role, variable and constraint counts). Those checks are heuristics, so a flagged label is counted in
the report and kept (each flag was reviewed when the label was written); ``strict`` keeps only
unflagged ones.

Provenance: the labels were written for optsolve by the project's developer (an LLM coding session),
text by text; NL4Opt's own formulations of its training texts are not used. docs/embedded.md gives the
checks' figures and a precision measurement against NL4Opt dev's gold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optsolve.errors import DatagenError, InputError, OptsolveError

_OP = re.compile(r"\s*(<=|>=|==)\s*")
_LETTERS = "abcdefghijkl"


@dataclass
class Annotation:
    index: int
    variables: list[str] = field(default_factory=list)
    objective: tuple[str, list[str]] | None = None
    rows: list[str] = field(default_factory=list)
    skip: str | None = None


def parse(text: str, source: str = "labels") -> dict[int, Annotation]:
    """Blocks of a label file by document index; a malformed block raises :class:`InputError` with
    its line number."""
    out: dict[int, Annotation] = {}
    cur: Annotation | None = None
    for ln, raw in enumerate(text.splitlines(), 1):
        line = raw.split("  #", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"#\s*(\d+)", line)
        if m:
            idx = int(m.group(1))
            if idx in out:
                raise InputError(f"{source}:{ln}: document {idx} annotated twice")
            cur = out[idx] = Annotation(idx)
            continue
        if line.startswith("#"):
            continue
        if cur is None:
            raise InputError(f"{source}:{ln}: a line before the first '# N' header")
        if line.startswith("skip:"):
            cur.skip = line[5:].strip() or "unstated"
        elif line.startswith("v:"):
            cur.variables = [v.strip() for v in line[2:].split("|") if v.strip()]
        elif re.match(r"(max|min):", line):
            sense, rest = line.split(":", 1)
            cur.objective = ("maximize" if sense == "max" else "minimize", rest.split())
        else:
            cur.rows.append(line)
    return out


def _num(tok: str) -> float:
    from optsolve.formalize.nl4opt import parse_number

    try:
        return parse_number(tok)
    except DatagenError as exc:
        raise InputError(f"not a number: {tok!r}") from exc


def _term(c: float, name: str) -> str:
    from optsolve.formalize.nl4opt import _coef

    # a written coefficient stays written, 1 included: the text states it and the model points at it
    return f"{_coef(c)} * {name}"


def to_formulation(a: Annotation, name: str = "nl4opt_train") -> dict[str, Any]:
    """Formulation v1 of one annotation (nonnegative continuous variables, as NL4Opt's gold)."""
    from optsolve.formalize.nl4opt import _coef, _ident

    if a.skip is not None:
        raise InputError(f"document {a.index} is marked skip: {a.skip}")
    if not a.variables or a.objective is None:
        raise InputError(f"document {a.index}: needs a 'v:' line and a 'max:'/'min:' line")
    taken: set[str] = set()
    ids = [_ident(v, taken) for v in a.variables]
    if len(ids) > len(_LETTERS):
        raise InputError(f"document {a.index}: at most {len(_LETTERS)} variables (a to l)")
    letter = {_LETTERS[i]: ids[i] for i in range(len(ids))}
    total = " + ".join(ids)

    def num(tok: str) -> float:
        try:
            return _num(tok)
        except InputError as exc:
            raise InputError(f"document {a.index}: {exc.message}") from None

    def linear(toks: list[str]) -> str:
        if toks == ["sum"]:
            return total
        if len(toks) != len(ids):
            raise InputError(f"document {a.index}: {len(toks)} coefficients for {len(ids)} variables")
        parts = [_term(num(t), v) for t, v in zip(toks, ids, strict=True) if t not in ("0", "-")]
        if not parts:
            raise InputError(f"document {a.index}: a row with no variable")
        return " + ".join(parts)

    sense, otoks = a.objective
    constraints: dict[str, Any] = {}
    for i, row in enumerate(a.rows, 1):
        parts = _OP.split(row)
        if len(parts) != 3:
            raise InputError(f"document {a.index}: cannot read row {row!r}")
        lhs, op, rhs = parts[0].split(), parts[1], parts[2].split()
        if lhs == ["all"]:
            if len(rhs) != 1:
                raise InputError(f"document {a.index}: 'all {op}' takes one limit: {row!r}")
            kind, expr = "sum", f"{total} {op} {_coef(num(rhs[0]))}"
        elif len(lhs) == 1 and lhs[0] in letter:
            x = letter[lhs[0]]
            if len(rhs) == 1 and rhs[0] in letter:
                kind, expr = "xy", f"{x} {op} {letter[rhs[0]]}"
            elif len(rhs) == 1:
                kind, expr = "bound", f"{x} {op} {_coef(num(rhs[0]))}"
            elif len(rhs) == 2 and rhs[1] == "all":
                share = num(rhs[0])
                if share > 1:
                    share /= 100.0
                kind, expr = "ratio", f"{x} {op} {_coef(share)} * ({total})"
            elif len(rhs) == 2 and rhs[1] in letter:
                kind, expr = "xby", f"{x} {op} {_coef(num(rhs[0]))} * {letter[rhs[1]]}"
            else:
                raise InputError(f"document {a.index}: cannot read row {row!r}")
        else:
            if len(rhs) != 1:
                raise InputError(f"document {a.index}: a linear row takes one limit: {row!r}")
            kind, expr = "linear", f"{linear(lhs)} {op} {_coef(num(rhs[0]))}"
        constraints[f"c{i}_{kind}"] = {"expr": expr}
    return {
        "name": name,
        "variables": {ident: {"domain": "nonnegative_reals", "description": v}
                      for v, ident in zip(a.variables, ids, strict=True)},
        "objective": {"sense": sense, "expr": linear(otoks)},
        "constraints": constraints,
    }


@dataclass
class Checked:
    index: int
    ok: bool
    why: list[str]
    objective: float | None = None
    record: dict[str, Any] | None = None


def check_all(labels_path: str | Path, texts_path: str | Path) -> list[Checked]:
    """Every annotation of ``labels_path`` built, solved and checked against the tags of its text."""
    from optsolve.solvers import solve
    from optsolve.train.self_train import check, read_conll

    lp = Path(labels_path)
    if not lp.is_file():
        raise InputError(f"no label file at {lp}", hint="pass --labels data/nl4opt_train_labels.txt")
    anns = parse(lp.read_text(encoding="utf-8"), lp.name)
    docs = read_conll(texts_path)
    out: list[Checked] = []
    for idx in sorted(anns):
        a = anns[idx]
        if a.skip is not None:
            continue
        if idx >= len(docs):
            out.append(Checked(idx, False, [f"no document {idx} in {texts_path} ({len(docs)} documents)"]))
            continue
        doc = docs[idx]
        try:
            form = to_formulation(a, name=f"nl4opt_train_{idx}")
        except InputError as exc:
            out.append(Checked(idx, False, [exc.message]))
            continue
        try:
            res = solve(form)
        except OptsolveError as exc:   # a name the formulation language reserves, say
            out.append(Checked(idx, False, [f"does not compile: {exc.message}"]))
            continue
        why: list[str] = []
        if not res.status.has_solution or res.objective is None:
            why.append(f"does not solve: {res.status.value}")
        why += check(doc, form)
        rec = {"id": f"nl4opt-train-{idx}", "text": doc.text, "formulation": form, "objective": res.objective,
               "family": "nl4opt_train", "source": "annotated"}
        out.append(Checked(idx, not why, why, res.objective, rec))
    return out


def records(labels_path: str | Path, texts_path: str | Path, strict: bool = False
            ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The annotations as training records (``text``, ``formulation``, ``objective``), in document order.

    Every record solves to a finite optimum. The tag checks are heuristics (they fold plurals to count
    variables and cannot tell a number that is both a coefficient and a limit), so by default a label
    they flag is kept (every flag was reviewed when the label was written) and only counted in
    ``flags``; ``strict`` keeps only the labels no check flags."""
    checked = check_all(labels_path, texts_path)
    flags: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    unsolved: list[int] = []
    for c in checked:
        for w in c.why:
            key = w.split(",")[0].split(":")[0]
            flags[key] = flags.get(key, 0) + 1
        if c.record is None or c.objective is None:
            unsolved.append(c.index)
        elif c.ok or not strict:
            out.append(c.record)
    stats = {"annotated": len(checked), "unflagged": sum(c.ok for c in checked), "records": len(out),
             "no_optimum": unsolved, "flags": flags}
    return out, stats


def split(rows: list[dict[str, Any]], held_out: int, seed: int = 0
          ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, held-out): ``held_out`` records drawn with ``seed`` kept out of training, both in
    document order, so the held-out loss and accuracy are measured on annotated texts never trained on."""
    import random

    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    held = set(order[:held_out])
    return [r for i, r in enumerate(rows) if i not in held], [r for i, r in enumerate(rows) if i in held]


def write_sets(labels_path: str | Path, texts_path: str | Path, train_path: str | Path,
               held_path: str | Path, *, held_out: int = 0, seed: int = 0, strict: bool = False,
               synthetic: list[dict[str, Any]] | None = None, repeat: int = 6,
               n_synthetic: int = 8000, augment: int = 0, collide: float = 0.0, reorder: int = 0,
               authored: str | Path | None = None) -> dict[str, Any]:
    """:func:`records`, :func:`split` and, given ``synthetic`` records, :func:`training_mix`, written as
    the training file and (when ``held_out`` keeps any) the held-out file; returns the counts, with
    ``held_out_file`` only when that file was written (``optsolve train annotations`` and the
    ``annotated`` stage of ``optsolve train embedded``). ``augment`` adds up to that many
    number-perturbed siblings of each training text (:func:`augmented_records`) to the mix, ``reorder``
    up to that many with their sentences in another order (:func:`reordered_records`); ``authored``, a
    file of problems written for training (:func:`authored_records`), joins the training part (never the
    held-out draw, which stays the annotated texts' own)."""
    from optsolve.train.common import write_jsonl

    rows, stats = records(labels_path, texts_path, strict=strict)
    train, held = split(rows, held_out, seed)
    if authored is not None:
        extra, dropped = authored_records(authored)
        stats["authored"] = len(extra)
        stats["authored_dropped"] = dropped
        train = train + extra
    stats["train_texts"] = len(train)
    siblings = augmented_records(train, labels_path, augment, seed, collide) if augment else []
    stats["augmented"] = len(siblings)
    if reorder:
        moved = reordered_records(train, reorder, seed)
        stats["reordered"] = len(moved)
        siblings += moved
    if synthetic is not None:
        train = training_mix(train, synthetic, repeat, n_synthetic, seed, siblings)
    else:
        train = train + siblings
    stats["train_rows"] = write_jsonl(train_path, train)
    stats["out"] = str(train_path)
    if held:
        stats["held_out"] = write_jsonl(held_path, held)
        stats["held_out_file"] = str(held_path)
    return stats


def training_mix(annotated: list[dict[str, Any]], synthetic: list[dict[str, Any]], repeat: int,
                 n_synthetic: int, seed: int = 0, siblings: list[dict[str, Any]] | None = None
                 ) -> list[dict[str, Any]]:
    """``repeat`` copies of every annotated record, their ``siblings`` (once each) and ``n_synthetic``
    synthetic records drawn with ``seed`` (so continuing a model on human phrasing does not forget the
    generated families), shuffled."""
    import random

    if repeat < 1:
        raise InputError(f"repeat must be at least 1, got {repeat}")
    rng = random.Random(seed)
    syn = rng.sample(synthetic, min(n_synthetic, len(synthetic)))
    rows = [r for r in annotated for _ in range(repeat)] + list(siblings or []) + syn
    rng.shuffle(rows)
    return rows


_DIGITS = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?$")
_NOT_NUMBERS = {"0", "-", "sum", "all", *_LETTERS}    # label tokens that state no number of the text


def _label_tokens(a: Annotation) -> list[str]:
    """Every token of the label's objective and rows, operators left out (variable letters, ``all``,
    ``sum`` and numbers as the text writes them)."""
    toks = list(a.objective[1]) if a.objective else []
    for row in a.rows:
        for side in _OP.split(row)[::2]:
            toks += side.split()
    return toks


def unstated_numbers(a: Annotation, text: str) -> list[str]:
    """The numbers the label writes that are no number of ``text`` (the pointer formalizer could not
    point at them); empty when every one is stated."""
    from optsolve.train.numbers import mask_numbers

    values = mask_numbers(text).values
    return [t for t in _label_tokens(a) if t not in _NOT_NUMBERS
            and all(abs(_num(t) - v) > 1e-9 * max(1.0, abs(v)) for v in values)]


def _new_value(v: float, pct: bool, decimals: int, rng: Any) -> float:
    """A plausible replacement for ``v``: the same kind (a percentage stays one, an integer stays an
    integer, decimals keep their places), within a factor of about two."""
    if pct:
        whole = round(v * 100, 6)          # 0.15 * 100 is 15.000000000000002: compare the rounded percent
        return float(rng.randint(1, 19) * 5) / 100.0 if whole == int(whole) and int(whole) % 5 == 0 \
            else float(rng.randint(2, 90)) / 100.0
    if decimals:
        q = 10 ** decimals
        return max(1, round(v * q * rng.uniform(0.5, 2.0))) / q
    n = int(v)
    if n < 10:
        return float(rng.randint(1, max(3, 2 * n)))
    zeros = len(str(n)) - len(str(n).rstrip("0"))
    step = 10 ** min(zeros, len(str(n)) - 1)
    return float(max(1, round(n * rng.uniform(0.5, 2.0) / step)) * step)


def _write_like(v: float, written: str) -> str:
    """``v`` written the way ``written`` is: its decimals, thousands separators and percent sign."""
    pct = written.endswith("%")
    core = written.rstrip("%")
    decimals = len(core.split(".")[1]) if "." in core else 0
    x = v * 100 if pct else v
    s = f"{x:,.{decimals}f}" if "," in core else f"{x:.{decimals}f}"
    return s + ("%" if pct else "")


def augment(a: Annotation, text: str, rng: Any, collide: float = 0.0) -> tuple[str, Annotation] | None:
    """A sibling of an annotated text with other numbers: every number the label writes in digits and
    the text states in digits the same way gets a new value of its kind (see :func:`_new_value`), in
    the text and the label alike. The caller solves the result (a new optimum, or none: then it is
    dropped). A new value never equals another number of the text (the pointer targets would become
    ambiguous): a number with no free value near it stays. With probability ``collide`` one whole
    number instead takes the new value of another whole number of the label, so that one value plays
    two roles (as "2 hours of oven time and 2 kg of flour" does; the pointer then has two mentions to
    choose from). None when nothing changed."""
    from optsolve.train.numbers import mask_numbers

    written = sorted({t for t in _label_tokens(a) if _DIGITS.match(t) and t != "0"})
    others = set(mask_numbers(text).values)
    # each token as the text writes it, alone (not inside a longer number or a name such as "2-piece")
    pats = {t: re.compile(r"(?<![\w.,])" + re.escape(t) + r"(?![\w%]|[.,]\d|-)") for t in written}
    present = [t for t in written if pats[t].search(text)]
    change: dict[str, str] = {}
    for t in present:
        pct = t.endswith("%")
        core = t.rstrip("%")
        v = float(core.replace(",", "")) / (100.0 if pct else 1.0)
        decimals = len(core.split(".")[1]) if "." in core else 0
        for _ in range(8):
            nv = _new_value(v, pct, decimals, rng)
            if all(abs(nv - o) > 1e-9 * max(1.0, abs(o)) for o in others):
                break
        else:
            continue        # no free value of its kind near it: this number stays as it is
        others.add(nv)
        change[t] = _write_like(nv, t)
    whole = [t for t in change if change[t].isdigit()]
    if collide and len(whole) >= 2 and rng.random() < collide:
        t, u = rng.sample(whole, 2)
        change[t] = change[u]
    if not change:
        return None
    # two passes, so that a value written in one step is never rewritten by the next (the marks are
    # private-use characters: no digit a later pattern could match)
    new_text = text
    for i, t in enumerate(change):
        new_text = pats[t].sub(chr(0xE000 + i), new_text)
    for i, t in enumerate(change):
        new_text = new_text.replace(chr(0xE000 + i), change[t])

    def sub(toks: list[str]) -> list[str]:
        return [change.get(t, t) for t in toks]

    rows = []
    for row in a.rows:
        lhs, op, rhs = _OP.split(row)
        rows.append(f"{' '.join(sub(lhs.split()))} {op} {' '.join(sub(rhs.split()))}")
    obj = (a.objective[0], sub(a.objective[1])) if a.objective else None
    return new_text, Annotation(a.index, list(a.variables), obj, rows)


def augmented_records(train: list[dict[str, Any]], labels_path: str | Path, per_text: int, seed: int = 0,
                      collide: float = 0.0) -> list[dict[str, Any]]:
    """Up to ``per_text`` number-perturbed siblings (:func:`augment`) of each annotated training record,
    each rebuilt, solved to a finite optimum and checked (every number of its label is a number of its
    text, so the pointer formalizer can point at it); a sibling that fails is dropped, never kept
    unsolved. Built from the training records only, so held-out texts never leak in. ``collide``: see
    :func:`augment`."""
    import random

    from optsolve.solvers import solve

    if per_text < 1:
        return []
    lp = Path(labels_path)
    anns = parse(lp.read_text(encoding="utf-8"), lp.name)
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for r in train:
        m = re.fullmatch(r"nl4opt-train-(\d+)", str(r.get("id", "")))
        if not m or int(m.group(1)) not in anns:
            continue
        a = anns[int(m.group(1))]
        seen = {r["text"]}
        for _ in range(3 * per_text):
            if len(seen) > per_text:
                break
            got = augment(a, r["text"], rng, collide)
            if got is None or got[0] in seen:
                continue
            text, b = got
            try:
                form = to_formulation(b, name=f"nl4opt_train_{a.index}")
                res = solve(form)
            except OptsolveError:
                continue
            if not res.status.has_solution or res.objective is None:
                continue
            if unstated_numbers(b, text):
                continue
            seen.add(text)
            out.append({"id": f"nl4opt-train-{a.index}-aug{len(seen) - 1}", "text": text, "formulation": form,
                        "objective": res.objective, "family": "nl4opt_train", "source": "annotated-augmented"})
    return out


# a sentence that opens with one of these leans on the one before it ("It also needs...", "However, ..."):
# it moves with that sentence, never alone
_LEANS = frozenset({"it", "its", "they", "their", "them", "this", "these", "that", "those", "he", "she", "his",
                    "her", "however", "but", "also", "additionally", "further", "furthermore", "moreover",
                    "similarly", "likewise", "besides", "meanwhile", "otherwise", "then", "so", "therefore",
                    "thus", "whereas", "while", "and", "or", "both", "either", "neither"})
_LEAN_PHRASES = ("in addition", "on the other hand", "on top of", "to do so", "in this", "in that", "the rest",
                 "the remaining", "the remainder", "the other", "the former", "the latter", "in turn", "in total")
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[A-Z(\"'$0-9])")


def sentence_units(text: str) -> list[str]:
    """The text's sentences, each one that leans on the one before it (:data:`_LEANS`: a pronoun or a
    connective first, or a phrase of :data:`_LEAN_PHRASES`) joined to it, so that a unit reads alone."""
    units: list[str] = []
    for s in _SENTENCE_END.split(text.strip()):
        first = re.match(r"[A-Za-z]+", s)
        low = s.lower()
        if units and first and (first.group(0).lower() in _LEANS or low.startswith(_LEAN_PHRASES)):
            units[-1] += " " + s
        else:
            units.append(s)
    return units


def reorder(text: str, rng: Any) -> str | None:
    """A sibling of ``text`` with its middle sentences in another order: the first (it names the
    decisions) and the last (the question) stay, every other unit of :func:`sentence_units` moves as a
    whole. The numbers, names and the model are the text's, so its label holds as written; the order
    of the numbers changes, and with it which mention the pointer targets. None when fewer than two
    units can move."""
    units = sentence_units(text)
    mid = units[1:-1]
    if len(mid) < 2:
        return None
    for _ in range(8):
        order = list(range(len(mid)))
        rng.shuffle(order)
        if order != sorted(order):
            return " ".join([units[0], *(mid[i] for i in order), units[-1]])
    return None


def reordered_records(train: list[dict[str, Any]], per_text: int, seed: int = 0) -> list[dict[str, Any]]:
    """Up to ``per_text`` siblings of each annotated training record with its middle sentences in
    another order (:func:`reorder`), the record's formulation and optimum unchanged (the same numbers
    and names state the same model). Training records only: held-out texts never leak in."""
    import random

    from optsolve.train.numbers import mask_numbers

    if per_text < 1:
        return []
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for r in train:
        if r.get("source") != "annotated":
            continue
        seen = {r["text"]}
        values = sorted(mask_numbers(r["text"]).values)
        for _ in range(3 * per_text):
            if len(seen) > per_text:
                break
            text = reorder(r["text"], rng)
            if text is None:
                break
            if text in seen or sorted(mask_numbers(text).values) != values:
                continue
            seen.add(text)
            out.append({**r, "id": f"{r['id']}-ord{len(seen) - 1}", "text": text,
                        "source": "annotated-reordered"})
    return out


def parse_authored(text: str, source: str = "authored") -> list[tuple[str, str, Annotation]]:
    """Blocks of an authored file: ``# sN`` heads a block, its ``t:`` line the problem text, the other
    lines a label as in the NL4Opt label file (:func:`parse`). Returns (id, text, annotation) in file
    order; a block with no text or a malformed label raises :class:`InputError` naming its line."""
    blocks: list[tuple[str, int, list[str]]] = []
    for ln, raw in enumerate(text.splitlines(), 1):
        m = re.fullmatch(r"#\s*s(\d+)\s*", raw)
        if m:
            blocks.append((f"s{m.group(1)}", ln, []))
        elif raw.strip() and not raw.startswith("#"):
            if not blocks:
                raise InputError(f"{source}:{ln}: a line before the first '# sN' header")
            blocks[-1][2].append(raw)
    out: list[tuple[str, str, Annotation]] = []
    seen: set[str] = set()
    for sid, ln, lines in blocks:
        if sid in seen:
            raise InputError(f"{source}:{ln}: problem {sid} written twice")
        seen.add(sid)
        texts = [x[2:].strip() for x in lines if x.startswith("t:")]
        if len(texts) != 1 or not texts[0]:
            raise InputError(f"{source}:{ln}: problem {sid} needs one 't:' line with its text")
        number = int(sid[1:])           # the annotation's index, so its errors name the problem
        label = "\n".join([f"# {number}", *(x for x in lines if not x.startswith("t:"))])
        try:
            a = parse(label, f"{source} {sid}")[number]
        except InputError as exc:
            raise InputError(f"{source}:{ln}: {exc.message}") from None
        out.append((sid, texts[0], a))
    return out


def authored_records(path: str | Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Training records of an authored file (:func:`parse_authored`): each label built, solved to a
    finite optimum, and every number it writes found among the text's numbers (so the pointer formalizer
    can point at it). Returns (records, why each other problem was left out)."""
    from optsolve.solvers import solve

    p = Path(path)
    if not p.is_file():
        raise InputError(f"no authored problem file at {p}", hint="pass --authored data/authored_train.txt")
    out: list[dict[str, Any]] = []
    dropped: list[str] = []
    for sid, text, a in parse_authored(p.read_text(encoding="utf-8"), p.name):
        try:
            form = to_formulation(a, name=f"authored_{sid}")
            res = solve(form)
        except OptsolveError as exc:
            dropped.append(f"{sid}: {exc.message}")
            continue
        if not res.status.has_solution or res.objective is None:
            dropped.append(f"{sid}: does not solve ({res.status.value})")
            continue
        if missing := unstated_numbers(a, text):
            dropped.append(f"{sid}: {', '.join(missing)} not a number of the text")
            continue
        out.append({"id": f"authored-{sid}", "text": text, "formulation": form, "objective": res.objective,
                    "family": "authored", "source": "annotated"})
    return out, dropped

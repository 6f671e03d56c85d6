"""Running the embedded model: masked text in, candidate formulations out.

One batched decoding loop with a KV cache draws ``k`` candidates at once: row 0 greedy, the others
sampled at a temperature. Decoding is bounded (``max_new_tokens`` and a wall-clock ``max_seconds``)
so that no input can hang it, and lightly constrained: a placeholder the text does not have
(``<n7>`` in a text with five numbers) and the prompt-only tokens can never be written.

:func:`verified_candidates` then decodes every candidate into Formulation v1, compiles and solves it,
and ranks the candidates: those that solve, grouped by objective value, the largest group first
(self-consistency with the solver as the judge).
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optsolve.errors import FormalizeError, OptsolveError
from optsolve.train.compact import MAX_VARS, decode
from optsolve.train.numbers import MAX_PLACEHOLDERS, mask_numbers
from optsolve.train.tokenizer import BOS, EOS, PAD, SEP

MAX_PROMPT_TOKENS = 448
COVERAGE_PENALTY = 2.0


@dataclass
class Candidate:
    compact: str
    formulation: dict[str, Any] | None = None
    error: str | None = None
    status: str | None = None
    objective: float | None = None
    greedy: bool = False
    votes: int = 0
    steps: list[tuple[int, int]] | None = None    # the pointer model's decoder outputs (kind, value)
    logp: float | None = None    # the pointer model's log-probability of its output (untempered, constrained)
    score: float | None = None   # the learned verifier's score, where the model ships one (higher: likelier right)
    repaired: bool = False       # not drawn: a drawn candidate with the rows its text contradicts rewritten
    fit: float | None = None     # set by vote() given the text: numbers share x the text's checks, 1 = nothing wrong

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible") and self.objective is not None

    def to_text(self) -> str:
        """What the backend returns: the formulation as JSON, or the raw output when it did not decode."""
        return json.dumps(self.formulation) if self.formulation is not None else self.compact


@dataclass
class Generation:
    candidates: list[Candidate] = field(default_factory=list)
    seconds: float = 0.0
    truncated: bool = False


class EmbeddedModel:
    """The shipped (or any compact-format) model, loaded from a directory with no network."""

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import LlamaForCausalLM, PreTrainedTokenizerFast

        self.path = Path(path)
        if not (self.path / "config.json").exists():
            raise FormalizeError(f"no embedded model at {self.path}",
                                 hint="reinstall optsolve, or rebuild the model with `optsolve train embedded`")
        if threads:
            torch.set_num_threads(threads)
        self.torch = torch
        from transformers.utils import logging as hf_logging

        # a CLI answer must not be buried under load progress bars and deprecation notices
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"torch\.nn\.modules\.module")
        self.tok = PreTrainedTokenizerFast.from_pretrained(str(self.path))
        self.model = LlamaForCausalLM.from_pretrained(str(self.path), dtype=torch.float32)
        self.model.eval()
        vocab = self.tok.get_vocab()
        self.eos_id = vocab[EOS]
        self.placeholder_ids = [vocab[f"<n{i}>"] for i in range(MAX_PLACEHOLDERS)]
        self.never_ids = [vocab[t] for t in (PAD, BOS, SEP) if t in vocab]
        self.ph_index = {t: i for i, t in enumerate(self.placeholder_ids)}
        self.var_ids = [vocab[f"<v{i}>"] for i in range(MAX_VARS)]
        self.var_kw = vocab["<var>"]
        self.n_vocab = self.model.config.vocab_size

    def prompt_ids(self, masked_text: str) -> tuple[list[int], bool]:
        ids: list[int] = self.tok(masked_text, add_special_tokens=False)["input_ids"]
        truncated = False
        if len(ids) > MAX_PROMPT_TOKENS - 1:
            head = MAX_PROMPT_TOKENS - 1 - 96
            ids = ids[:head] + ids[-96:]   # keep the opening and the question at the end
            truncated = True
        return [*ids, self.tok.convert_tokens_to_ids(SEP)], truncated

    def generate(self, text: str, k: int = 8, temperature: float = 0.7, seed: int = 0,
                 max_new_tokens: int = 200, max_seconds: float = 6.0, greedy: bool = True
                 ) -> tuple[Generation, list[float]]:
        """``k`` compact outputs for ``text`` (row 0 greedy unless ``greedy`` is false, the others
        sampled) and the values of its placeholders."""
        torch = self.torch
        t0 = time.perf_counter()
        masked = mask_numbers(text)
        ids, truncated = self.prompt_ids(masked.text)
        limit = self.model.config.max_position_embeddings - len(ids) - 1
        max_new = max(0, min(max_new_tokens, limit))
        ban = torch.zeros(self.n_vocab, dtype=torch.bool)
        ban[self.placeholder_ids[len(masked.values):]] = True
        ban[self.never_ids] = True
        gen = torch.Generator().manual_seed(seed)
        k = max(1, k)
        out_ids: list[list[int]] = [[] for _ in range(k)]
        done = [False] * k
        # coverage: a number is used about as often as the text mentions it, so each use beyond its
        # mentions costs COVERAGE_PENALTY (soft: "both need 2 hours" is one mention, two uses)
        n_ph = len(masked.values)
        ph_ids = torch.tensor(self.placeholder_ids[:n_ph], dtype=torch.long)
        mentions = torch.tensor([float(ids.count(i)) for i in self.placeholder_ids[:n_ph]])
        uses = torch.zeros(k, n_ph)
        # variable slots: <v_j> only once j - 1 slots are declared (no reference to an undeclared one)
        declared = torch.zeros(k, dtype=torch.long)
        v_ids = torch.tensor(self.var_ids, dtype=torch.long)
        slot = torch.arange(len(self.var_ids))
        with torch.inference_mode():
            inp = torch.tensor([ids] * k)
            res = self.model(input_ids=inp, use_cache=True)
            past = res.past_key_values
            logits = res.logits[:, -1, :]
            for _ in range(max_new):
                logits = logits.masked_fill(ban, -math.inf)
                if n_ph:
                    over = (uses - mentions + 1).clamp(min=0)
                    logits[:, ph_ids] -= COVERAGE_PENALTY * over
                logits[:, v_ids] = logits[:, v_ids].masked_fill(slot[None, :] >= declared[:, None], -math.inf)
                nxt = torch.argmax(logits, dim=-1)
                first = 1 if greedy else 0
                if k > first and temperature > 0:
                    probs = torch.softmax(logits[first:] / temperature, dim=-1)
                    nxt[first:] = torch.multinomial(probs, 1, generator=gen).squeeze(1)
                for r in range(k):
                    if not done[r]:
                        t = int(nxt[r])
                        if t == self.eos_id:
                            done[r] = True
                        else:
                            out_ids[r].append(t)
                            if t in self.ph_index and self.ph_index[t] < n_ph:
                                uses[r, self.ph_index[t]] += 1
                            elif t == self.var_kw:
                                declared[r] += 1
                if all(done) or time.perf_counter() - t0 > max_seconds:
                    break
                res = self.model(input_ids=nxt[:, None], past_key_values=past, use_cache=True)
                past = res.past_key_values
                logits = res.logits[:, -1, :]
        cands = [Candidate(self.tok.decode(o, skip_special_tokens=False), greedy=greedy and r == 0)
                 for r, o in enumerate(out_ids)]
        for c, d in zip(cands, done):
            if not d:
                c.error = "output cut at the length or time bound"
        return Generation(cands, time.perf_counter() - t0, truncated), masked.values


RELAXED = {"integers": "reals", "nonnegative_integers": "nonnegative_reals"}
INTEGRAL = {"reals": "integers", "nonnegative_reals": "nonnegative_integers"}


def relax_integers(formulation: dict[str, Any], domains: dict[str, str] = RELAXED) -> dict[str, Any]:
    """Make the integer variables of ``formulation`` continuous, in place; returns it. ``domains=INTEGRAL``
    does the reverse (continuous variables made integer)."""
    for v in formulation["variables"].values():
        v["domain"] = domains.get(v["domain"], v["domain"])
    return formulation


def text_domains(text: str, relax: bool = False) -> tuple[bool, bool]:
    """``(relax, integral)`` for :func:`check_candidate`: how the candidates for ``text`` are solved. The
    text decides integrality, not the model: in whole numbers where it says so ("The quantities must be
    non-negative integers": :func:`optsolve.train.grounding.declares_integers`), with fractions allowed
    where it does not (session 15, docs/embedded.md); binary decisions stay binary either way. ``relax``
    (a diagnostic) makes every candidate continuous."""
    from optsolve.train.grounding import declares_integers

    integral = not relax and declares_integers(text)
    return not integral, integral


def check_candidate(c: Candidate, values: list[float], time_limit: float = 5.0, relax: bool = False,
                    integral: bool = False) -> None:
    """Decode, compile and solve one candidate in place (sets formulation/status/objective/error).

    ``relax`` (a diagnostic for benchmarks whose reference optimum is an LP optimum) makes integer
    variables continuous before solving; ``integral`` (the text says the quantities are whole
    numbers: :func:`optsolve.train.grounding.declares_integers`) makes continuous ones integer."""
    if c.error is not None and c.error.startswith("output cut"):
        # salvage a run-on output (a small model may repeat itself to the bound): keep its complete
        # statements, the last one dropped
        cut = max(c.compact.rfind(kw) for kw in ("<con>", "<var>", "<max>", "<min>"))
        if cut > 0:
            c.compact, c.error = c.compact[:cut], None
    if c.error is None:
        try:
            c.formulation = decode(c.compact, values)
        except OptsolveError as exc:
            c.error = exc.message
        if relax and c.formulation is not None:
            relax_integers(c.formulation)
        elif integral and c.formulation is not None:
            relax_integers(c.formulation, INTEGRAL)
    if c.formulation is None:
        return
    try:
        from optsolve.solvers import SolveOptions, solve

        # no infeasibility explanation: a candidate is only ranked here, the formalizer explains later
        res = solve(c.formulation, SolveOptions(time_limit=time_limit, explain=False))
        c.status = str(getattr(res.status, "value", res.status))
        c.objective = None if res.objective is None else float(res.objective)
        if not c.ok:
            c.error = c.error or f"solver status {c.status}"
    except OptsolveError as exc:
        c.error = exc.message
        c.status = "error"
    except (ArithmeticError, ValueError, TypeError, RecursionError) as exc:
        # a malformed candidate must never take the whole draw down; the formalizer re-checks it
        c.error = f"{type(exc).__name__}: {exc}"
        c.status = "error"


def check_all(cands: list[Candidate], values: list[float], relax: bool = False, checked: int = 0,
              integral: bool = False) -> None:
    """:func:`check_candidate` on every candidate, each distinct output solved once (identical outputs
    solve identically); the first ``checked`` candidates are already checked."""
    seen = {c.compact: c for c in cands[:checked]}
    for c in cands[checked:]:
        if c.compact in seen:
            d = seen[c.compact]
            c.formulation, c.error, c.status, c.objective = d.formulation, d.error, d.status, d.objective
            continue
        check_candidate(c, values, relax=relax, integral=integral)
        seen[c.compact] = c


def objective_groups(objectives: list[float | None], rel: float = 1e-6) -> list[list[int]]:
    """Indices grouped by equal objective (within ``rel``, against the group's first), in order of
    first appearance; ``None`` objectives are left out."""
    groups: list[list[int]] = []
    for i, o in enumerate(objectives):
        if o is None:
            continue
        for g in groups:
            o0 = objectives[g[0]]
            assert o0 is not None
            if abs(o0 - o) <= rel * max(1.0, abs(o0)):
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


def numbers_used(compact: str) -> set[int]:
    """The placeholders (``<nK>``: the text's distinct numbers) a compact output uses."""
    return {int(k) for k in re.findall(r"<n(\d+)>", compact)}


def coverage(c: Candidate, n_numbers: int) -> float:
    """The share of the text's distinct numbers (``n_numbers`` placeholders) that ``c`` uses, to two
    places; 1.0 for a text with no number."""
    if n_numbers <= 0:
        return 1.0
    return round(len(numbers_used(c.compact)) / n_numbers, 2)


def fit_factors(reading: Any, compact: str) -> dict[str, float]:
    """The text's checks of one candidate (:mod:`optsolve.train.grounding`), by name, each in (0, 1]: 1 where
    the text finds nothing wrong. :func:`vote` ranks by their product times the numbers share; the names
    are the features a learned ranking reads (``benchmarks/rerank.py``).

    In the order they came (docs/embedded.md has each one's measurement): the share of the candidate's
    number-to-variable bindings the text's sentences support, of its rows whose numbers share a unit and
    of its rows whose limits no other row fits better, and a half for a total written on one item or a
    count written with coefficients (session 12); a variable named with one letter or the company's name,
    a row pointing against its limit's words (session 14); a comparison the text states with no number
    and the candidate lacks, a number stated once that limits a plain count and a row with coefficients
    (session 16); an objective weighing some variables and not others (session 17); a limit used only in
    the objective or as one of its own row's coefficients (session 21); a missing row of one of several
    items the text limits with one value (session 22); a literal fraction no number of the text equals
    (session 23); a row comparing a variable with itself (session 24); a number stated only as a limit
    standing in the objective and a row (session 25); a comparison stated with a number of its own and
    missing, and an item the text lists first that no variable names (session 29); a row whose numbers,
    where the text states them beside its items, share no unit, an objective with none of the unit the text
    optimizes, and a comparison the text does not state (session 31); a share of the total above one
    (session 32); a variable left bare in a row whose other numbers share a unit the text gives it a
    number in (session 34); a sum listing one variable twice (session 36); a row of one row's stuff against another's limit,
    a share of the total summing some items only (session 37); and a half for a candidate a repair
    or a rebuild from the text would change (a row rebuilt in other words, a bare variable for a stated 1,
    is no change since session 31)."""
    return {
        "binding": reading.binding(compact), "units": reading.units(compact), "limits": reading.limits(compact),
        "total_check": reading.total_check(compact), "names": 0.5 if reading.names(compact) < 1 else 1.0,
        "signs": reading.signs(compact), "comparisons_stated": reading.comparisons_stated(compact),
        "limit_read_twice": reading.limit_read_twice(compact), "limit_unread": reading.limit_unread(compact),
        "limit_own_coefficient": reading.limit_own_coefficient(compact),
        "limit_in_objective": reading.limit_in_objective(compact),
        "limits_stated": reading.limits_stated(compact), "mixed_objective": reading.mixed_objective(compact),
        "literal_unstated": reading.literal_unstated(compact), "self_compared": reading.self_compared(compact),
        "items_named": reading.items_named(compact),
        "units_owned": reading.units_owned(compact),
        "objective_goal": reading.objective_goal(compact),
        "comparisons_unstated": reading.comparisons_unstated(compact),
        "share_count": reading.share_count(compact),
        "bare_owned": reading.bare_owned(compact),
        "terms_repeated": reading.terms_repeated(compact),
        "hybrid_rows": reading.hybrid_rows(compact),
        "share_partial": reading.share_partial(compact),
        "repairable": 0.5 if reading.repair(compact) is not None else 1.0,
        "rebuildable": 0.5 if reading.rebuild_rows(compact) is not None else 1.0,
    }


def vote(cands: list[Candidate], rel: float = 1e-6, n_numbers: int = 0, text: str | None = None) -> list[Candidate]:
    """Candidates ranked: solved ones by the size of their objective group (greedy breaks ties), then
    decodable unsolved ones, then the rest. Sets ``votes`` on each: the drawn (not ``repaired``)
    candidates of its objective group, the agreement the backends report over the candidates drawn.

    Given ``n_numbers`` (how many distinct numbers the text states), a group whose formulation uses
    more of them ranks first, before the vote: a faithful model of a word problem uses the numbers the
    problem gives, and a candidate that leaves some out has usually bound another one twice or dropped
    a constraint (measured on the shipped model, docs/embedded.md: NL4Opt dev 25.6 -> 30.0 %, datagen
    test split 29.7 -> 31.8 %, validation 31.3 -> 33.7 %).

    Given ``text`` as well, that share is multiplied by the text's checks of the candidate
    (:func:`fit_factors`, the one list of them: each a factor in (0, 1], 1 where the text finds nothing
    wrong); groups whose comparisons between two variables point the way the text says come next
    (sessions 12-14, docs/embedded.md). Given ``text``, each solved candidate's ``fit`` is set to that
    product (1: the text finds nothing wrong with it), which :func:`verified_candidates` reads to decide
    whether to draw more."""
    from optsolve.train.grounding import read

    reading = read(text) if text is not None else None
    memo: dict[str, tuple[float, float]] = {}

    def checks(c: Candidate) -> tuple[float, float]:
        """(numbers share x the text's checks, comparison share) of one candidate, larger is better."""
        if c.compact not in memo:
            cov = coverage(c, n_numbers)
            if reading is None:
                memo[c.compact] = (cov, 1.0)
            else:
                fit = cov
                for v in fit_factors(reading, c.compact).values():     # left to right, as always
                    fit *= v
                memo[c.compact] = (round(fit, 2), reading.comparisons(c.compact))
        return memo[c.compact]

    groups = [[cands[i] for i in g] for g in objective_groups([c.objective if c.ok else None for c in cands], rel)]
    for g in groups:
        drawn = sum(not x.repaired for x in g)
        for c in g:
            c.votes = drawn
    # a model with an objective before one without (every training problem has one), a non-trivial
    # optimum before a zero one (an all-zero plan usually means a constraint or a coefficient went
    # wrong), then the more of the text's numbers used (and bound where the text states them), then
    # comparisons the text agrees with, then the larger group, then the greedy candidate's group
    def key(g: list[Candidate]) -> tuple[bool, bool, float, float, int, bool]:
        c = g[0]
        has_obj = bool(c.formulation and c.formulation.get("objective"))
        best = max(checks(x) for x in g)
        return (not has_obj, abs(c.objective or 0.0) < 1e-9, -best[0], -best[1], -len(g),
                not any(x.greedy for x in g))

    groups.sort(key=key)
    if reading is not None:
        for c in cands:
            if c.ok:
                c.fit = checks(c)[0]
    ranked = [c for g in groups for c in sorted(g, key=lambda c: (-checks(c)[0], -checks(c)[1], not c.greedy))]
    rest = [c for c in cands if not c.ok]
    rest.sort(key=lambda c: (c.formulation is None, not c.greedy))
    return ranked + rest


def names_apart(cands: list[Candidate], text: str) -> None:
    """Each candidate's variables that share a name renamed by the words the text puts before that name
    (:meth:`optsolve.train.grounding.TextReading.names_apart`), in place: before they are solved, so the
    formulation the backend returns has the names too."""
    from optsolve.train.grounding import read

    reading = read(text)
    for c in cands:
        if (apart := reading.names_apart(c.compact)) is not None:
            c.compact = apart


REPAIR_ROUNDS = 2       # rounds of repairs: the drawn candidates', then those repairs' (see repaired_candidates)


def repaired_candidates(cands: list[Candidate], text: str, values: list[float], relax: bool = False,
                        until: float | None = None, rounds: int = REPAIR_ROUNDS,
                        known: set[str] | None = None) -> list[Candidate]:
    """The solved candidates' repairs (:meth:`optsolve.train.grounding.TextReading.repairs`: a comparison
    the text states the other way round, a bound put on the wrong item, a coefficient that fits its
    row's limit worse than a number stated beside the same item), each distinct new one checked once,
    marked ``repaired``. Measured on the shipped model's own draws (docs/embedded.md, session 12): the
    right model is among the candidates more often and is picked more often (validation 284 -> 329 of
    600). ``until`` (a ``time.perf_counter()`` value) stops trying rewrites once passed.

    ``rounds``: the solved repairs are repaired again, ``rounds - 1`` times. A candidate with two kinds of
    error (a count objective written with wages and a number given to the wrong item) needs two rewrites,
    and each rewrite fixes one kind (session 16, replayed on the k32 draws, 4 seeds: test split v2 +26 net,
    validation v2 +7, NL4Opt dev -1, held-out -1; a third round adds 2 more on the test split).

    ``known``: formulations already among the candidates (an earlier draw's and its repairs'), never
    returned again."""
    from optsolve.train.grounding import read

    relax, integral = text_domains(text, relax)
    reading = read(text)
    seen = {c.compact for c in cands} | (known or set())
    out: list[Candidate] = []
    todo = [c for c in cands if c.ok]
    for _ in range(rounds):
        new: list[Candidate] = []
        for c in todo:
            if until is not None and time.perf_counter() > until:
                break
            for fixed in reading.repairs(c.compact):
                if fixed in seen:
                    continue
                seen.add(fixed)
                r = Candidate(fixed, repaired=True)
                check_candidate(r, values, relax=relax, integral=integral)
                new.append(r)
        out += new
        todo = [c for c in new if c.ok]
    return out


ESCALATE = 32           # samples drawn again when the first pick is not one the text finds nothing wrong with
ESCALATE_SEED = 7919    # the second draw's seed offset: other samples than the first draw's and other seeds'


def draws_again(top: Any) -> bool:
    """Whether a first pick (``None``: nothing solved) calls for a second draw: nothing solved, or the text
    finds something wrong with it (its ``fit``, set by :func:`vote`, below 1)."""
    return top is None or top.fit is None or top.fit < 1.0


def replaces(new: Any, first_fit: float | None) -> bool:
    """Whether the pick after a second draw replaces a first pick of fit ``first_fit``: only when the text
    supports it better. More draws add votes to every group, so a tie in fit would be broken by the extra
    draw's noise."""
    return new is not None and new.ok and (new.fit or 0.0) > (first_fit or 0.0)


def verified_candidates(model: EmbeddedModel, text: str, k: int = 8, temperature: float = 0.7, seed: int = 0,
                        max_new_tokens: int = 200, max_seconds: float = 6.0, relax: bool = False,
                        adaptive: bool = False, verify: bool = True, repair: bool = True,
                        repair_rounds: int = REPAIR_ROUNDS, escalate: int = ESCALATE
                        ) -> tuple[list[Candidate], Generation]:
    """Up to ``k`` candidates for ``text``, checked by the solver and ranked by :func:`vote`.

    The greedy candidate is decoded and checked first, alone (one row decodes fastest), then the
    ``k - 1`` samples in the time left of ``max_seconds``: a slow or loaded machine cuts the samples,
    never the greedy answer. ``adaptive`` draws the samples only when the greedy candidate does not
    solve (the fast path for interactive use; voting needs the samples). A model that decodes the greedy
    row in the same batch as the samples and cuts the samples first when time runs short
    (``greedy_in_batch``: the pointer formalizer) draws all ``k`` in one pass instead, the same
    candidates (session 26).

    ``repair`` adds the solved candidates' text-guided repairs (:func:`repaired_candidates`, in
    ``repair_rounds`` rounds) before the ranking. The text, not the model, decides integrality: when it says its quantities are whole numbers,
    every candidate is solved with integer variables, whatever it declares; otherwise with continuous ones
    (binary decisions stay binary). The model's declared domains are a habit of its training families
    (datagen's text version 1 left integrality unsaid in three texts of four), not a reading of the text;
    datagen's text version 2 states integrality wherever the gold is integer and NL4Opt's reference
    optima are LP optima, so both read an unsaid integrality as fractions allowed. The CLI shows the
    whole-number optimum beside such an answer (:mod:`optsolve.formalize.integrality`).

    When the model ships a learned verifier (:mod:`optsolve.train.verifier`) and ``verify`` is on, the
    samples are always drawn and the solved candidates are ranked by the verifier's scores (objective
    groups by their best score) instead of by votes; ``adaptive`` is then ignored.

    ``escalate``: when the first pick is not one the text finds nothing wrong with (its ``fit``, set by
    :func:`vote`, below 1, or nothing solved), that many more samples are drawn (another seed) in the
    time left, checked and repaired, and all of them ranked again; the new first pick replaces the first
    draw's only when the text supports it better (a larger ``fit``). Replayed on 64-candidate draws of the
    shipped model (session 33, docs/embedded.md): a third of the problems draw again and the right picks
    rise on every set, where ranking all 64 for every problem gains less and loses some.
    """
    verifier = verify and getattr(model, "verifier", None) is not None
    adaptive = adaptive and not verifier
    relax, integral = text_domains(text, relax)
    t0 = time.perf_counter()
    if adaptive or not getattr(model, "greedy_in_batch", False):
        gen, values = model.generate(text, k=1, temperature=temperature, seed=seed,
                                     max_new_tokens=max_new_tokens, max_seconds=max_seconds)
        names_apart(gen.candidates, text)
        check_candidate(gen.candidates[0], values, relax=relax, integral=integral)
        left = max_seconds - (time.perf_counter() - t0)
        if k > 1 and left > 0.2 and not (adaptive and gen.candidates[0].ok):
            more, _ = model.generate(text, k=k - 1, temperature=temperature, seed=seed,
                                     max_new_tokens=max_new_tokens, max_seconds=left, greedy=False)
            names_apart(more.candidates, text)
            gen.candidates += more.candidates
            gen.truncated = gen.truncated or more.truncated
        checked = 1
    else:
        # one batch, the greedy row first: the same candidates as the two calls above (the samples are
        # the same seeded draws, row for row), one decoding pass fewer; the model cuts the samples first
        # when time runs short
        gen, values = model.generate(text, k=k, temperature=temperature, seed=seed,
                                     max_new_tokens=max_new_tokens, max_seconds=max_seconds)
        names_apart(gen.candidates, text)
        checked = 0
    gen.seconds = time.perf_counter() - t0
    check_all(gen.candidates, values, relax=relax, checked=checked, integral=integral)
    # the repairs share the draw's time bound: a slow machine cuts them, never the drawn candidates
    fixed = (repaired_candidates(gen.candidates, text, values, relax=relax, until=t0 + max_seconds,
                                 rounds=repair_rounds) if repair else [])
    cands = gen.candidates + fixed
    ranked = vote(cands, n_numbers=len(values), text=text)
    left = max_seconds - (time.perf_counter() - t0)
    top = ranked[0] if ranked and ranked[0].ok else None
    if escalate > 0 and k > 1 and not adaptive and not verifier and left > 0.2 and draws_again(top):
        more, _ = model.generate(text, k=escalate, temperature=temperature, seed=seed + ESCALATE_SEED,
                                 max_new_tokens=max_new_tokens, max_seconds=left, greedy=False)
        names_apart(more.candidates, text)
        first = len(gen.candidates)
        gen.candidates += more.candidates
        check_all(gen.candidates, values, relax=relax, checked=first, integral=integral)
        fixed += (repaired_candidates(more.candidates, text, values, relax=relax, until=t0 + max_seconds,
                                      rounds=repair_rounds, known={c.compact for c in cands}) if repair else [])
        gen.truncated = gen.truncated or more.truncated
        gen.seconds = time.perf_counter() - t0
        # the drawn candidates first, then the repairs, as after one draw
        cands = gen.candidates + fixed
        ranked = vote(cands, n_numbers=len(values), text=text)
        if top is not None and not replaces(ranked[0], top.fit):
            ranked = [top, *(c for c in ranked if c is not top)]
    if verifier:
        ranked = rank_verified(model, text, ranked)
    return ranked, gen


def rank_verified(model: Any, text: str, ranked: list[Candidate]) -> list[Candidate]:
    """``ranked`` (as :func:`vote` left it) with its solved candidates re-ordered by the model's
    verifier: objective groups by their best score, then the unsolved ones as they were."""
    from optsolve.train.verifier import rank_by_score

    solved = [c for c in ranked if c.ok and c.steps]
    if not solved:
        return ranked
    scores = model.score(text, solved)
    for c, s in zip(solved, scores):
        c.score = s
    order = rank_by_score([c.objective for c in solved], scores)
    first = [solved[i] for i in order]
    taken = {id(c) for c in first}
    return first + [c for c in ranked if id(c) not in taken]

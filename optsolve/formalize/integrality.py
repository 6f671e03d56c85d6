"""Whole numbers the text never asked for, or never ruled out.

A word problem rarely says whether its quantities must be whole numbers, and the two readings have
different right answers: NL4Opt's reference optima are LP optima ("how many cars and trucks" solved in
reals), while a model (ours or a large LLM) often declares such counts integer. When the formulation
counts something in whole numbers that the text does not require to be whole, the answer is shown with
the optimum the other reading gives, so that the user can choose (docs/embedded.md, session 14).

The embedded formalizer lets the text decide (session 15): counts are whole numbers only where the text
says so, so its answer to a text that says nothing is the fractional reading, and :func:`whole_number_note`
shows the whole-number optimum beside it.
"""

from __future__ import annotations

import copy
from typing import Any


def relaxed(formulation: dict[str, Any]) -> tuple[dict[str, Any], list[str]] | None:
    """The formulation with its general integer variables made continuous (the embedded runtime's
    :data:`optsolve.train.runtime.RELAXED`: binary and boolean variables are decisions, left as they are),
    and their names; None when it has none. Unlike :func:`optsolve.train.runtime.relax_integers` it
    copies, and takes any formulation a backend wrote (a variable without a domain is real)."""
    from optsolve.train.runtime import RELAXED

    return _remapped(formulation, RELAXED)


def integrality_note(text: str, formulation: dict[str, Any] | None, objective: float | None,
                     time_limit: float = 10.0) -> str | None:
    """A note when ``formulation`` (solved to ``objective``) counts variables in whole numbers that
    ``text`` does not say must be whole, and allowing fractions changes the optimum; None otherwise
    (the text says so, no integer variables, no optimum, or the same optimum either way)."""
    from optsolve.train.grounding import allows_fractions, declares_integers

    if formulation is None or objective is None or declares_integers(text):
        return None
    fractions = allows_fractions(text)
    rel = relaxed(formulation)
    if rel is None:
        return None
    found = _other_optimum(rel[0], objective, time_limit)
    if found is None:
        return None
    names = rel[1]
    shown = names[:4] + ([f"{len(names) - 4} more"] if len(names) > 4 else [])
    which = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    said = "says fractions are allowed" if fractions else f"does not say that {which} must be whole numbers"
    return (f"optsolve: note: the text {said}, but the formulation counts "
            f"{which if fractions else ('it' if len(names) == 1 else 'them')} in whole numbers; allowing "
            f"fractions, the optimum would be {found:.6g} (the reading of NL4Opt's reference answers). "
            "To settle it, say in the text whether the quantities must be whole numbers")


def whole_numbers(formulation: dict[str, Any]) -> tuple[dict[str, Any], list[str]] | None:
    """The formulation with its continuous variables made integer (the embedded runtime's
    :data:`optsolve.train.runtime.INTEGRAL`), and their names; None when it has none. A variable without
    a domain is real, as in Formulation v1."""
    from optsolve.train.runtime import INTEGRAL

    return _remapped(formulation, INTEGRAL)


def _remapped(formulation: dict[str, Any], domains: dict[str, str]) -> tuple[dict[str, Any], list[str]] | None:
    """A copy of ``formulation`` with each variable's domain mapped by ``domains`` (a variable without a
    domain is real), and the names of those changed; None when none is."""
    out = copy.deepcopy(formulation)
    names = []
    for name, var in (out.get("variables") or {}).items():
        if isinstance(var, dict) and (domain := var.get("domain", "reals")) in domains:
            var["domain"] = domains[domain]
            names.append(name)
    return (out, names) if names else None


def whole_number_note(text: str, formulation: dict[str, Any] | None, objective: float | None,
                      time_limit: float = 10.0) -> str | None:
    """For a formalizer that solved ``text``'s quantities as fractions because the text does not say
    they must be whole (the embedded one): a note with the optimum in whole numbers, when it differs
    and the text neither says whole numbers nor allows fractions outright; None otherwise."""
    from optsolve.train.grounding import allows_fractions, declares_integers

    if formulation is None or objective is None or declares_integers(text) or allows_fractions(text):
        return None
    whole = whole_numbers(formulation)
    if whole is None:
        return None
    found = _other_optimum(whole[0], objective, time_limit)
    if found is None:
        return None
    return ("optsolve: note: the text does not say whether the quantities must be whole numbers, so "
            f"fractions were allowed (the reading of NL4Opt's reference answers); in whole numbers the optimum "
            f"would be {found:.6g}. To settle it, say in the text whether they must be whole numbers")


def _other_optimum(formulation: dict[str, Any], objective: float, time_limit: float) -> float | None:
    """The optimum of the other reading ``formulation``, when it has one and it differs from ``objective``."""
    from optsolve.errors import OptsolveError
    from optsolve.solvers import SolveOptions, solve

    try:
        res = solve(formulation, SolveOptions(time_limit=time_limit))
    except OptsolveError:
        return None
    if res.status.value != "optimal" or res.objective is None \
            or abs(res.objective - objective) <= 1e-6 * max(1.0, abs(objective)):
        return None
    return float(res.objective)

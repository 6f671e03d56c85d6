"""The formalizer's loop logic, driven by a scripted backend (no network): messages sent, repair
feedback, attempts, voting and confidence, typed failures."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from optsolve.errors import FormalizeError, InputError, LimitError, LLMBackendError
from optsolve.formalize import Event, FormalizeOptions, check_text, formalize, plan
from optsolve.formalize.backends.scripted import ScriptedBackend
from optsolve.formalize.extract import extract_code, extract_json
from optsolve.formalize.loop import vote
from optsolve.solvers.result import Status

BAKERY = ("A bakery makes bread and cakes. A batch of bread takes 2 hours of oven time and 1 kg of flour; "
          "a batch of cakes takes 1 hour of oven time and 2 kg of flour. The oven is available at most 40 "
          "hours and there are 50 kg of flour. Bread earns $30 a batch and cakes $45. At least 5 batches of "
          "bread are needed. Maximize profit.")


def model(obj_bread: int = 30, extra: dict[str, Any] | None = None, **over: Any) -> dict[str, Any]:
    m: dict[str, Any] = {
        "name": "bakery",
        "variables": {"bread": {"domain": "nonnegative_integers"}, "cakes": {"domain": "nonnegative_integers"}},
        "objective": {"sense": "maximize", "expr": f"{obj_bread} * bread + 45 * cakes"},
        "constraints": {"oven": {"expr": "2 * bread + cakes <= 40"},
                        "flour": {"expr": "bread + 2 * cakes <= 50"},
                        "min_bread": {"expr": "bread >= 5"}},
    }
    if extra:
        m["constraints"].update(extra)
    m.update(over)
    return m


GOOD = json.dumps(model())


@pytest.fixture(autouse=True)
def _tfidf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPTSOLVE_RETRIEVER", "tfidf")  # fast and deterministic; MiniLM is tested apart


def test_first_try_solves_and_sends_five_element_prompt() -> None:
    b = ScriptedBackend([GOOD])
    res = formalize(BAKERY, FormalizeOptions(), backend=b)
    assert res.result is not None and res.result.status is Status.OPTIMAL
    assert res.result.objective == pytest.approx(1200)
    assert res.result.variables == {"bread": 10, "cakes": 20}
    assert res.confidence == 1.0 and res.backend == "scripted" and res.route == "highs"
    assert len(res.attempts) == 1 and res.attempts[0].status == "optimal"
    assert res.attempts[0].objective == pytest.approx(1200)
    req = b.requests[0]
    msgs = req.messages
    assert msgs[0]["role"] == "system"
    for word in ("Sets", "Parameters", "Variables", "Objective", "Constraints"):
        assert word in msgs[0]["content"]
    # three retrieved few-shot pairs, then the problem
    assert [m["role"] for m in msgs[1:]] == ["user", "assistant"] * 3 + ["user"]
    assert BAKERY in msgs[-1]["content"]
    for m in msgs[2:-1:2]:
        json.loads(m["content"])  # few-shot answers are formulations
    assert req.problem_text == BAKERY and req.n == 1 and req.json_schema is not None
    assert req.json_schema["title"] == "Formulation v1"
    assert req.seed == 0 and req.feedback is None


def test_repair_loop_feeds_back_each_error_in_order() -> None:
    bad_name = model(extra={"oven": {"expr": "2 * bread + cake <= 40"}})
    infeasible = model(extra={"cap": {"expr": "bread <= 2"}},
                       variables={"bread": {"domain": "nonnegative_reals"}, "cakes": {"domain": "nonnegative_reals"}})
    replies = ["Sure! Here is the model you asked for.", json.dumps(bad_name),
               "```json\n" + json.dumps(infeasible) + "\n```", GOOD]
    b = ScriptedBackend(replies)
    events: list[Event] = []
    res = formalize(BAKERY, FormalizeOptions(max_attempts=4), backend=b, on_event=events.append)
    assert [a.status for a in res.attempts] == ["parse_error", "validation_error", "infeasible", "optimal"]
    assert [a.round for a in res.attempts] == [0, 1, 2, 3]
    assert res.attempts[1].error is not None and "cake" in res.attempts[1].error["message"]
    assert res.attempts[2].error is not None and set(res.attempts[2].error["explanation"]) == {"cap", "min_bread"}
    assert res.attempts[2].formulation is not None and res.attempts[0].formulation is None
    assert res.result is not None and res.result.objective == pytest.approx(1200)
    # each repair request carries the whole conversation: previous reply + error message
    assert len(b.requests) == 4
    base = len(b.requests[0].messages)
    for k, req in enumerate(b.requests[1:], start=1):
        assert len(req.messages) == base + 2 * k
        assert req.messages[-2] == {"role": "assistant", "content": replies[k - 1]}
        assert req.messages[-1]["role"] == "user"
        assert req.feedback and req.feedback.split()[0] in req.messages[-1]["content"]
    assert "parse step" in b.requests[1].messages[-1]["content"]
    assert "unknown name 'cake'" in b.requests[2].messages[-1]["content"]
    assert "did you mean 'cakes'" in b.requests[2].messages[-1]["content"]
    infeas_msg = b.requests[3].messages[-1]["content"]
    assert "infeasible" in infeas_msg and "cap" in infeas_msg and "min_bread" in infeas_msg
    assert [r.seed for r in b.requests] == [0, 1, 2, 3]
    kinds = [e.kind for e in events]
    assert kinds[0] == "formalizing" and kinds[-1] == "result"
    assert kinds.count("attempt") == 4 and "compiling" in kinds and "solving" in kinds


def test_attempts_run_out_raises_formalize_error_with_all_attempts() -> None:
    b = ScriptedBackend(["no json here", '{"variables": {"x": {"domain": "weird"}}}', "{broken"])
    with pytest.raises(FormalizeError) as info:
        formalize(BAKERY, FormalizeOptions(max_attempts=3), backend=b)
    err = info.value
    assert len(err.attempts) == 3
    assert [a.status for a in err.attempts] == ["parse_error", "validation_error", "parse_error"]
    assert err.code == "E_FORMALIZE" and "larger model" in (err.hint or "")
    assert b.remaining == 0


def test_unbounded_is_fed_back() -> None:
    unbounded = {"variables": {"bread": {"domain": "nonnegative_reals"}},
                 "objective": {"sense": "maximize", "expr": "30 * bread"}, "constraints": {}}
    b = ScriptedBackend([json.dumps(unbounded), GOOD])
    res = formalize(BAKERY, FormalizeOptions(), backend=b)
    assert res.attempts[0].status == "unbounded"
    assert "unbounded" in b.requests[1].messages[-1]["content"]
    assert res.result is not None and res.result.status is Status.OPTIMAL


def test_persistently_infeasible_returns_infeasible_result() -> None:
    infeasible = json.dumps(model(extra={"cap": {"expr": "bread <= 2"}}))
    b = ScriptedBackend([infeasible] * 2)
    res = formalize(BAKERY, FormalizeOptions(max_attempts=2), backend=b)
    assert res.result is not None and res.result.status is Status.INFEASIBLE
    assert len(res.attempts) == 2 and all(a.status == "infeasible" for a in res.attempts)


def test_self_consistency_votes_on_the_objective() -> None:
    # three samples: two agree on 1200 (values within 1e-6 relative), one says 1150
    other = json.dumps(model(obj_bread=25))
    same_again = json.dumps(model(name="bakery_again"))
    b = ScriptedBackend([other, GOOD, same_again])
    res = formalize(BAKERY, FormalizeOptions(samples=3), backend=b)
    assert res.result is not None and res.result.objective == pytest.approx(1200)
    assert res.confidence == pytest.approx(2 / 3)
    assert res.formulation is not None and res.formulation["name"] == "bakery"  # the earliest of the majority
    assert len(b.requests) == 1 and b.requests[0].n == 3  # one batched first round
    assert b.requests[0].temperature == pytest.approx(0.7)  # sampling, since 0 would repeat one answer
    assert [a.sample for a in res.attempts] == [0, 1, 2]


def test_voting_counts_failed_samples_against_confidence() -> None:
    b = ScriptedBackend(["junk", GOOD, GOOD, "junk again"])
    res = formalize(BAKERY, FormalizeOptions(samples=3, max_attempts=2), backend=b)
    # the first round of all three samples is one request (junk, GOOD, GOOD); sample 0 repairs once more
    assert [(a.sample, a.status) for a in res.attempts] == [(0, "parse_error"), (0, "parse_error"),
                                                            (1, "optimal"), (2, "optimal")]
    assert res.confidence == pytest.approx(2 / 3)
    assert res.result is not None and res.result.objective == pytest.approx(1200)


def test_vote_tolerance_and_ties() -> None:
    from optsolve.formalize.loop import SampleOutcome
    from optsolve.solvers.result import SolveResult

    def out(i: int, obj: float | None, ok: bool = True) -> SampleOutcome:
        return SampleOutcome(i, {}, SolveResult(status=Status.OPTIMAL, objective=obj), "highs", ok)

    chosen, conf, clusters = vote([out(0, 100.0), out(1, 100.00000001), out(2, 99.0), out(3, 99.0),
                                   out(4, 98.0)])
    assert conf == pytest.approx(0.4) and chosen is not None and chosen.sample == 0  # tie: earliest
    assert clusters == [[0, 1], [2, 3], [4]]
    chosen, conf, _ = vote([out(0, None, ok=False), out(1, 5.0)])
    assert chosen is not None and chosen.sample == 1 and conf == 0.5
    assert vote([])[0] is None


def test_plan_compiles_but_does_not_solve() -> None:
    compile_bad = model(extra={"idx": {"expr": "x[3] <= 1"}},
                        variables={"x": {"index": ["T"], "domain": "binary"}}, sets={"T": [1, 2]})
    b = ScriptedBackend([json.dumps(compile_bad), GOOD])
    res = plan(BAKERY, FormalizeOptions(), backend=b)
    assert res.result is None and res.formulation is not None and res.route == "highs"
    assert res.attempts[0].status in ("compile_error", "validation_error")
    assert [a.status for a in res.attempts][-1] == "compiled"


def test_backend_failure_propagates_typed() -> None:
    b = ScriptedBackend([])
    with pytest.raises(LLMBackendError):
        formalize(BAKERY, FormalizeOptions(), backend=b)


@pytest.mark.parametrize(("text", "err"), [
    ("", InputError), ("   \n ", InputError), ("x" * 20_001, LimitError),
    ("Une boulangerie fabrique du pain et des gâteaux avec une quantité limitée de farine pour "
     "gagner le plus possible chaque semaine dans la ville", InputError),
    ("面包店生产面包和蛋糕，每周最多有四十小时的烤箱时间，求最大利润。", InputError),
    ("Tell me a story about a dragon who lived in a castle by the sea.", InputError),
])
def test_bad_text(text: str, err: type[Exception]) -> None:
    with pytest.raises(err):
        check_text(text)
    with pytest.raises(err):
        formalize(text, backend=ScriptedBackend([GOOD]))


def test_good_text_passes_check() -> None:
    assert check_text("  " + BAKERY + "\n") == BAKERY


def test_extract_json_variants() -> None:
    obj = {"a": {"b": "}{"}, "c": [1, 2]}
    raw = json.dumps(obj)
    assert extract_json(raw) == obj
    assert extract_json("Here you go:\n```json\n" + raw + "\n```\nDone.") == obj
    assert extract_json("prefix " + raw + " suffix {not json}") == obj
    with pytest.raises(Exception, match="not valid JSON"):
        extract_json('{"a": 1,}')
    with pytest.raises(Exception, match="no JSON object"):
        extract_json("nothing")
    assert extract_code("```python\nprint(1)\n```") == "print(1)\n"
    assert extract_json(json.dumps({"formulation": obj})) == obj  # a wrapper object is unwrapped
    assert extract_json(json.dumps({"model": 3})) == {"model": 3}


def test_scripted_backend_match_keyed_replies(tmp_path: Any) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"match": "bakery", "replies": [model()]}) + "\n" + json.dumps("plain") + "\n")
    b = ScriptedBackend(path=path)
    res = formalize(BAKERY, backend=b)
    assert res.result is not None and res.result.objective == pytest.approx(1200)
    assert b.remaining == 1


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_code_mode_repairs_a_failing_script() -> None:
    from optsolve.formalize.code_mode import CODE_MODE_CONTRACT

    bad = ("```python\nimport pyomo.environ as pyo\nm = pyo.ConcreteModel()\n"
           "raise ValueError('forgot the model')\n```")
    good = ("```python\nimport pyomo.environ as pyo\nm = pyo.ConcreteModel()\n"
            "m.bread = pyo.Var(domain=pyo.NonNegativeIntegers)\nm.cakes = pyo.Var(domain=pyo.NonNegativeIntegers)\n"
            "m.oven = pyo.Constraint(expr=2*m.bread + m.cakes <= 40)\n"
            "m.flour = pyo.Constraint(expr=m.bread + 2*m.cakes <= 50)\n"
            "m.minb = pyo.Constraint(expr=m.bread >= 5)\n"
            "m.obj = pyo.Objective(expr=30*m.bread + 45*m.cakes, sense=pyo.maximize)\n```")
    b = ScriptedBackend([bad, good])
    res = formalize(BAKERY, FormalizeOptions(mode="code", time_limit=20), backend=b)
    assert res.result is not None and res.result.objective == pytest.approx(1200)
    assert res.result.variables == {"bread": 10, "cakes": 20}
    assert [a.status for a in res.attempts] == ["script_error", "optimal"]
    assert res.formulation is None and res.script is not None and "m.oven" in res.script
    first = b.requests[0]
    assert first.json_schema is None and CODE_MODE_CONTRACT.strip()[:40] in first.messages[0]["content"]
    assert "forgot the model" in b.requests[1].messages[-1]["content"]


def test_all_zero_optimum_gets_one_more_look() -> None:
    zero_model = model(objective={"sense": "maximize", "expr": "-30 * bread - 45 * cakes"},
                       constraints={"oven": {"expr": "2 * bread + cakes <= 40"}})
    b = ScriptedBackend([json.dumps(zero_model), GOOD])
    res = formalize(BAKERY, FormalizeOptions(), backend=b)
    assert [a.status for a in res.attempts] == ["trivial", "optimal"]
    assert "every variable to zero" in b.requests[1].messages[-1]["content"]
    assert res.result is not None and res.result.objective == pytest.approx(1200)
    # when every round is trivial the last trivial solution is the answer, not an error
    b = ScriptedBackend([json.dumps(zero_model)] * 2)
    res = formalize(BAKERY, FormalizeOptions(max_attempts=2), backend=b)
    assert [a.status for a in res.attempts] == ["trivial", "optimal"]
    assert res.result is not None and res.result.objective == 0
    # and the check can be turned off
    b = ScriptedBackend([json.dumps(zero_model)])
    res = formalize(BAKERY, FormalizeOptions(reject_trivial=False), backend=b)
    assert [a.status for a in res.attempts] == ["optimal"]


def test_missing_objective_for_a_goal_gets_one_more_look() -> None:
    no_obj = model()
    del no_obj["objective"]
    b = ScriptedBackend([json.dumps(no_obj), GOOD])
    res = formalize(BAKERY, FormalizeOptions(), backend=b)
    assert [a.status for a in res.attempts] == ["no_objective", "optimal"]
    assert "no objective" in b.requests[1].messages[-1]["content"]
    # a text with no goal (a pure feasibility question) takes a model without objective as it is
    b = ScriptedBackend([json.dumps(no_obj)])
    res = formalize("Find a production plan of bread and cakes with at most 40 oven hours and at least 5 "
                    "batches of bread.", FormalizeOptions(), backend=b)
    assert [a.status for a in res.attempts] == ["optimal"]


class _VotingBackend(ScriptedBackend):
    """A scripted backend that, like the embedded model, drew and voted among candidates itself."""

    def __init__(self, outputs: list[str], votes: dict[str, tuple[int, int]]) -> None:
        super().__init__(outputs)
        self.votes = votes

    def agreement(self, completion: str) -> tuple[int, int] | None:
        return self.votes.get(completion)


def test_confidence_counts_the_backends_own_candidates_with_one_sample() -> None:
    """With one sample, a backend that voted among its own candidates (7 of 16 agreeing) sets the
    confidence, not "1 of 1 sample"; the repaired sample's final output is the one looked up."""
    b = _VotingBackend(["junk", GOOD], {GOOD: (7, 16), "junk": (16, 16)})
    res = formalize(BAKERY, FormalizeOptions(max_attempts=2), backend=b)
    assert res.confidence == pytest.approx(7 / 16)
    assert res.agreement == {"votes": 7, "of": 16, "basis": "candidates"}
    assert res.to_json_dict()["agreement"] == res.agreement
    # with several samples the formalizer's own vote counts, whatever the backend says
    b = _VotingBackend([GOOD, GOOD, json.dumps(model(obj_bread=25))], {GOOD: (1, 16)})
    res = formalize(BAKERY, FormalizeOptions(samples=3), backend=b)
    assert res.confidence == pytest.approx(2 / 3)
    assert res.agreement == {"votes": 2, "of": 3, "basis": "samples"}
    # a backend that does not vote itself: one sample is "1 of 1"
    res = formalize(BAKERY, FormalizeOptions(), backend=ScriptedBackend([GOOD]))
    assert res.confidence == 1.0 and res.agreement == {"votes": 1, "of": 1, "basis": "samples"}

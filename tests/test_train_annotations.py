"""The annotated NL4Opt training texts: the label language, its errors, the checks against a text's
entity tags, the shipped label file, and ``optsolve train annotations``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from optsolve import errors as E
from optsolve.paths import nl4opt_dir, nl4opt_train_labels
from optsolve.solvers import solve
from optsolve.train import annotations as A

# one tagged document in the CoNLL layout of ner_train.txt
_DOC = """-DOCSTART-\t_\t_\tO

A\t_\t_\tO
bakery\t_\t_\tO
makes\t_\t_\tO
bread\t_\t_\tB-VAR
and\t_\t_\tO
cakes\t_\t_\tB-VAR
.\t_\t_\tO
Bread\t_\t_\tB-VAR
takes\t_\t_\tO
2\t_\t_\tB-PARAM
hours\t_\t_\tO
and\t_\t_\tO
cakes\t_\t_\tB-VAR
take\t_\t_\tO
1\t_\t_\tB-PARAM
hour\t_\t_\tO
of\t_\t_\tO
oven\t_\t_\tO
time\t_\t_\tO
;\t_\t_\tO
there\t_\t_\tO
are\t_\t_\tO
at\t_\t_\tB-CONST_DIR
most\t_\t_\tI-CONST_DIR
40\t_\t_\tB-LIMIT
hours\t_\t_\tO
.\t_\t_\tO
At\t_\t_\tB-CONST_DIR
least\t_\t_\tI-CONST_DIR
30%\t_\t_\tB-LIMIT
of\t_\t_\tO
the\t_\t_\tO
batches\t_\t_\tO
are\t_\t_\tO
cakes\t_\t_\tB-VAR
.\t_\t_\tO
Profit\t_\t_\tB-OBJ_NAME
is\t_\t_\tO
$\t_\t_\tO
30\t_\t_\tB-PARAM
per\t_\t_\tO
bread\t_\t_\tB-VAR
and\t_\t_\tO
$\t_\t_\tO
45\t_\t_\tB-PARAM
per\t_\t_\tO
cake\t_\t_\tB-VAR
;\t_\t_\tO
maximize\t_\t_\tB-OBJ_DIR
profit\t_\t_\tB-OBJ_NAME
.\t_\t_\tO

"""

_LABEL = """# the header comment is ignored
# 0
v: bread | cakes
max: 30 45
2 1 <= 40
b >= 30% all
"""


@pytest.fixture()
def tagged(tmp_path: Path) -> Path:
    p = tmp_path / "ner.txt"
    p.write_text(_DOC, encoding="utf-8")
    return p


def test_every_row_kind_builds_the_model_it_names() -> None:
    text = """# 3
v: x one | y two | z three
min: sum
1 2 0 >= 4
a <= b
c >= 2 a
b <= 7
a >= 25% all
all <= 100
"""
    f = A.to_formulation(A.parse(text)[3])
    exprs = [c["expr"] for c in f["constraints"].values()]
    assert f["objective"] == {"sense": "minimize", "expr": "x_one + y_two + z_three"}
    assert exprs == ["1 * x_one + 2 * y_two >= 4", "x_one <= y_two", "z_three >= 2 * x_one", "y_two <= 7",
                     "x_one >= 0.25 * (x_one + y_two + z_three)", "x_one + y_two + z_three <= 100"]
    assert set(f["constraints"]) == {"c1_linear", "c2_xy", "c3_xby", "c4_bound", "c5_ratio", "c6_sum"}
    assert all(v["domain"] == "nonnegative_reals" for v in f["variables"].values())
    res = solve(f)
    # x >= 0.25 * total, z >= 2x, x + 2y >= 4, x <= y: the optimum is x = y = 4/3, z = 8/3
    assert res.status.value == "optimal" and res.objective == pytest.approx(16 / 3)


def test_words_and_percentages_are_read_as_the_text_writes_them() -> None:
    f = A.to_formulation(A.parse("# 0\nv: p | q\nmax: 2% 10.2%\na >= twice b\nb <= third all\n")[0])
    assert f["objective"]["expr"] == "0.02 * p + 0.102 * q"
    assert [c["expr"] for c in f["constraints"].values()] == ["p >= 2 * q", f"q <= {1 / 3!r} * (p + q)"]


@pytest.mark.parametrize(("text", "words"), [
    ("v: a\n", "before the first"),
    ("# 1\nv: a | b\nmax: 1 2\n# 1\nv: c\nmax: 1\n", "annotated twice"),
])
def test_a_malformed_file_says_where(text: str, words: str) -> None:
    with pytest.raises(E.InputError, match=words):
        A.parse(text)


@pytest.mark.parametrize(("block", "words"), [
    ("v: a | b\nmax: 1 2 3\n", "3 coefficients for 2 variables"),
    ("v: a | b\nmax: 1 2\n1 2 <= \n", "takes one limit"),
    ("v: a | b\nmax: 1 2\na <= 3 z\n", "cannot read row"),
    ("v: a | b\nmax: 1 2\n1 lots <= 4\n", "not a number"),
    ("v: a | b\n", "needs a 'v:' line and a 'max:'"),
    ("skip: a blend\n", "marked skip"),
])
def test_a_bad_label_is_an_input_error_naming_its_document(block: str, words: str) -> None:
    with pytest.raises(E.InputError, match=words) as err:
        A.to_formulation(A.parse("# 9\n" + block)[9])
    assert "document 9" in err.value.message


def test_a_label_that_agrees_with_the_tags_becomes_a_record(tmp_path: Path, tagged: Path) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text(_LABEL, encoding="utf-8")
    (c,) = A.check_all(labels, tagged)
    assert c.ok and c.why == []
    assert c.objective == pytest.approx(1800.0)    # every oven hour on cakes: 40 x 45
    assert c.record is not None and c.record["text"].startswith("A bakery makes bread and cakes.")


def test_a_wrong_label_is_flagged_and_an_infeasible_one_is_never_a_record(tmp_path: Path, tagged: Path) -> None:
    labels = tmp_path / "labels.txt"
    # objective sense reversed and the oven row left out: both flagged by the tags
    labels.write_text("# 0\nv: bread | cakes\nmin: 30 45\nb >= 30% all\n", encoding="utf-8")
    (c,) = A.check_all(labels, tagged)
    assert not c.ok
    assert any("objective minimize" in w for w in c.why) and any("not used" in w for w in c.why)
    rows, stats = A.records(labels, tagged)
    assert len(rows) == 1 and stats["unflagged"] == 0          # kept (reviewed) unless --strict
    assert A.records(labels, tagged, strict=True)[0] == []
    labels.write_text("# 0\nv: bread | cakes\nmax: 30 45\n2 1 <= 40\nb >= 30% all\na >= 45\n", encoding="utf-8")
    rows, stats = A.records(labels, tagged)
    assert rows == [] and stats["no_optimum"] == [0]


def test_a_label_for_a_missing_document_is_reported(tmp_path: Path, tagged: Path) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text(_LABEL.replace("# 0", "# 5"), encoding="utf-8")
    (c,) = A.check_all(labels, tagged)
    assert not c.ok and "no document 5" in c.why[0]


def test_split_and_mix_are_seeded_and_keep_the_held_out_apart() -> None:
    rows = [{"id": i} for i in range(20)]
    train, held = A.split(rows, 5, seed=0)
    assert len(held) == 5 and len(train) == 15 and not {r["id"] for r in held} & {r["id"] for r in train}
    assert A.split(rows, 5, seed=0) == (train, held) and A.split(rows, 5, seed=1) != (train, held)
    syn = [{"id": f"s{i}"} for i in range(50)]
    mix = A.training_mix(train, syn, repeat=3, n_synthetic=10, seed=0)
    assert len(mix) == 3 * 15 + 10 and mix == A.training_mix(train, syn, 3, 10, seed=0)
    assert sum(r["id"] == train[0]["id"] for r in mix) == 3
    with pytest.raises(E.InputError):
        A.training_mix(train, syn, repeat=0, n_synthetic=1)


def test_the_shipped_label_file_covers_every_training_text_and_builds() -> None:
    anns = A.parse(nl4opt_train_labels().read_text(encoding="utf-8"))
    assert sorted(anns) == list(range(713))                      # every document of ner_train.txt
    skipped = [a for a in anns.values() if a.skip is not None]
    assert len(skipped) <= 15 and all(a.skip for a in skipped)    # each skip says why
    for a in anns.values():
        if a.skip is None:
            f = A.to_formulation(a)
            assert f["objective"]["expr"] and f["variables"]


@pytest.mark.skipif(not (nl4opt_dir() / "ner_train.txt").exists(), reason="NL4Opt training texts not here")
def test_the_shipped_labels_mostly_solve_and_agree_with_the_tags() -> None:
    checked = A.check_all(nl4opt_train_labels(), nl4opt_dir() / "ner_train.txt")
    solved = [c for c in checked if c.objective is not None]
    assert len(solved) >= 680                       # 689 at the time of writing; 12 state no optimum
    assert sum(c.ok for c in checked) >= 500        # no tag check flags 524 of them


def test_cli_writes_train_held_out_and_mix(tmp_path: Path, tagged: Path) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text(_LABEL, encoding="utf-8")
    syn = tmp_path / "syn.jsonl"
    syn.write_text("".join(json.dumps({"text": f"t{i}", "formulation": {}}) + "\n" for i in range(4)))
    out = tmp_path / "o" / "train.jsonl"
    run = subprocess.run([sys.executable, "-m", "optsolve", "train", "annotations", "--labels", str(labels),
                          "--texts", str(tagged), "--out", str(out), "--mix", str(syn), "--mix-n", "3",
                          "--repeat", "2", "--json"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    stats = json.loads(run.stdout)
    assert stats["records"] == 1 and stats["train_rows"] == 5
    assert len(out.read_text().splitlines()) == 5
    bad = subprocess.run([sys.executable, "-m", "optsolve", "train", "annotations", "--labels",
                          str(tmp_path / "none.txt"), "--texts", str(tagged), "--out", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "no label file" in bad.stderr and "Traceback" not in bad.stderr


def test_a_sibling_changes_the_numbers_in_text_and_label_alike() -> None:
    import random

    text = ("A bakery makes bread and cakes. Bread takes 2 hours and cakes take 1 hour of oven time; there are at "
            "most 40 hours. At least 30% of the batches are cakes. Profit is $30 per bread and $45 per cake; "
            "the 2-piece cake tin is not counted.")
    a = A.parse(_LABEL)[0]
    rng = random.Random(0)
    for _ in range(20):
        got = A.augment(a, text, rng)
        assert got is not None
        new_text, b = got
        assert new_text != text and b.variables == a.variables and len(b.rows) == len(a.rows)
        assert "2-piece" in new_text                   # a number inside a name is left alone
        f = A.to_formulation(b)
        # every number the label now writes is a number of the new text (a pointer target exists)
        from optsolve.train.numbers import mask_numbers

        values = mask_numbers(new_text).values
        for t in b.objective[1] if b.objective else []:
            assert any(abs(A._num(t) - v) < 1e-9 for v in values)
        assert "% of the batches" in new_text           # a percentage stays one
        assert f["constraints"]["c2_ratio"]["expr"].startswith("cakes >= 0.")


def test_siblings_are_solved_seeded_and_drawn_from_training_records_only(tmp_path: Path, tagged: Path) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text(_LABEL, encoding="utf-8")
    rows, _ = A.records(labels, tagged)
    sib = A.augmented_records(rows, labels, per_text=3, seed=0)
    assert 1 <= len(sib) <= 3 and sib == A.augmented_records(rows, labels, per_text=3, seed=0)
    for s in sib:
        assert s["source"] == "annotated-augmented" and s["id"].startswith("nl4opt-train-0-aug")
        res = solve(s["formulation"])
        assert res.objective == pytest.approx(s["objective"]) and s["text"] != rows[0]["text"]
    assert A.augmented_records([], labels, per_text=3) == []          # nothing held out leaks in
    assert A.augmented_records(rows, labels, per_text=0) == []
    mix = A.training_mix(rows, [{"id": "s"}], repeat=2, n_synthetic=1, seed=0, siblings=sib)
    assert len(mix) == 2 + len(sib) + 1


def test_collide_makes_two_roles_share_a_value_in_text_and_label() -> None:
    import random

    from optsolve.train.numbers import mask_numbers

    text = ("A bakery makes bread and cakes. Bread takes 2 hours and cakes take 1 hour of oven time; there are at "
            "most 40 hours. At least 30% of the batches are cakes. Profit is $30 per bread and $45 per cake.")
    a = A.parse(_LABEL)[0]
    rng = random.Random(3)
    shared = 0
    for _ in range(20):
        got = A.augment(a, text, rng, collide=1.0)
        assert got is not None
        new_text, b = got
        m = mask_numbers(new_text)
        tokens = [t for t in [*(b.objective[1] if b.objective else []), *" ".join(b.rows).split()]
                  if t[0].isdigit()]
        # the label's whole numbers: one value now stands for two of them
        whole = [t for t in tokens if t.isdigit()]
        shared += len(set(whole)) < len(whole)
        for t in tokens:
            assert any(abs(A._num(t) - v) < 1e-9 for v in m.values)     # still a pointer target
        assert len(m.mentions) > len(m.values)           # the text repeats that value
        A.to_formulation(b)
    assert shared == 20
    # no collision asked: every value stays distinct
    for _ in range(10):
        new_text, _b = A.augment(a, text, rng) or ("", a)
        m = mask_numbers(new_text)
        assert len(m.mentions) == len(m.values)


def test_cli_refuses_a_collision_share_outside_zero_to_one(tmp_path: Path, tagged: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "optsolve", "train", "annotations", "--texts", str(tagged),
                          "--out", str(tmp_path / "t.jsonl"), "--augment", "2", "--collide", "2"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "outside 0..1" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "t.jsonl").exists()


@pytest.mark.parametrize("v", [0.15, 0.35, 0.05, 0.6, 0.95])
def test_a_percentage_on_a_multiple_of_five_keeps_its_new_value_on_one(v: float) -> None:
    """0.15 * 100 is not 15.0 in floating point: the rounded percent decides, so 15% becomes another
    multiple of 5, while 12% may become any whole percent."""
    import random

    for seed in range(30):
        new = A._new_value(v, True, 0, random.Random(seed))
        assert round(new * 100) % 5 == 0 and 0 < new < 1
    assert any(round(A._new_value(0.12, True, 0, random.Random(s)) * 100) % 5 for s in range(30))


_STORY = ("A shop sells chairs and tables. Each chair needs 2 hours of work. However, it also needs 3 kg of wood. "
          "A table needs 5 hours of work and 4 kg of wood. The shop has 100 hours of work. In addition, there "
          "are 80 kg of wood. The profit is $30 per chair and $70 per table. How many of each should it make to "
          "maximize profit?")


def test_a_sentence_that_leans_on_the_one_before_moves_with_it() -> None:
    units = A.sentence_units(_STORY)
    assert units[0] == "A shop sells chairs and tables."
    assert units[1] == "Each chair needs 2 hours of work. However, it also needs 3 kg of wood."
    assert units[3] == "The shop has 100 hours of work. In addition, there are 80 kg of wood."
    assert units[-1].startswith("How many") and len(units) == 6
    assert A.sentence_units("Buy 2.5 kg at $3.75 each.") == ["Buy 2.5 kg at $3.75 each."]   # decimals never split


def test_reordered_siblings_keep_first_last_and_every_number_and_the_model() -> None:
    import random

    from optsolve.train.numbers import mask_numbers

    rng = random.Random(0)
    seen = set()
    for _ in range(30):
        t = A.reorder(_STORY, rng)
        assert t is not None and t != _STORY
        assert t.startswith("A shop sells chairs and tables.") and t.endswith("to maximize profit?")
        assert sorted(A.sentence_units(t)) == sorted(A.sentence_units(_STORY))
        assert sorted(mask_numbers(t).values) == sorted(mask_numbers(_STORY).values)
        seen.add(t)
    assert len(seen) > 5                                  # 4 middle units: 23 other orders
    assert A.reorder("One. Two? Three.", rng) is None     # one middle unit cannot move
    rec = {"id": "nl4opt-train-7", "text": _STORY, "formulation": {"name": "f"}, "objective": 1.0,
           "source": "annotated"}
    sib = A.reordered_records([rec, {**rec, "source": "synthetic"}], per_text=3, seed=1)
    assert len(sib) == 3 and sib == A.reordered_records([rec], per_text=3, seed=1)
    assert [s["id"] for s in sib] == ["nl4opt-train-7-ord1", "nl4opt-train-7-ord2", "nl4opt-train-7-ord3"]
    assert all(s["formulation"] == rec["formulation"] and s["source"] == "annotated-reordered" for s in sib)
    assert len({s["text"] for s in sib} | {_STORY}) == 4
    assert A.reordered_records([rec], per_text=0) == []


_AUTHORED = """# a comment line
# s1
t: A shop sells chairs and tables. A chair needs 2 hours of work and a table needs 5 hours; there are 100 hours. The profit is $30 per chair and $70 per table. Maximize profit.
v: chairs | tables
max: 30 70
2 5 <= 100
# s2
t: A farm mixes feed A and feed B. A bag of A gives 4 units of protein and a bag of B gives 3 units; at least 12 units are needed. A costs $2 and B costs $3. Minimize cost.
v: feed A | feed B
min: 2 3
4 3 >= 12
# s3
t: A stall sells tea and coffee. Tea earns $2 and coffee earns $3. There are 40 cups.
v: tea | coffee
max: 2 3
all <= 50
# s4
t: A stall sells tea and coffee. Tea earns $2 and coffee earns $3. At least 5 cups are sold.
v: tea | coffee
max: 2 3
all >= 5
"""


def test_authored_problems_become_records_or_say_why_not(tmp_path: Path) -> None:
    f = tmp_path / "authored.txt"
    f.write_text(_AUTHORED, encoding="utf-8")
    rows, dropped = A.authored_records(f)
    assert [r["id"] for r in rows] == ["authored-s1", "authored-s2"]
    assert rows[0]["objective"] == pytest.approx(1500.0) and rows[1]["objective"] == pytest.approx(6.0)
    assert rows[0]["source"] == "annotated" and rows[0]["text"].startswith("A shop sells")
    assert dropped[0].startswith("s3: 50 not a number of the text")     # no pointer target
    assert dropped[1].startswith("s4: does not solve")                   # unbounded
    with pytest.raises(E.InputError, match="no authored problem file"):
        A.authored_records(tmp_path / "none.txt")


@pytest.mark.parametrize(("text", "words"), [
    ("t: text before any header\n", "before the first"),
    ("# s1\nv: a | b\nmax: 1 2\n", "one 't:' line"),
    ("# s1\nt: x\nv: a | b\nmax: 1 2\n# s1\nt: y\nv: a | b\nmax: 1 2\n", "written twice"),
])
def test_a_malformed_authored_file_says_where(text: str, words: str) -> None:
    with pytest.raises(E.InputError, match=words):
        A.parse_authored(text)


def test_the_shipped_authored_problems_all_build_and_solve() -> None:
    from optsolve.paths import authored_train

    rows, dropped = A.authored_records(authored_train())
    assert dropped == [] and len(rows) >= 150
    assert len({r["text"] for r in rows}) == len(rows)


def test_cli_adds_authored_problems_to_the_training_part_only(tmp_path: Path, tagged: Path) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text(_LABEL, encoding="utf-8")
    authored = tmp_path / "authored.txt"
    authored.write_text(_AUTHORED, encoding="utf-8")
    out = tmp_path / "o" / "train.jsonl"
    run = subprocess.run([sys.executable, "-m", "optsolve", "train", "annotations", "--labels", str(labels),
                          "--texts", str(tagged), "--out", str(out), "--authored", str(authored), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    stats = json.loads(run.stdout)
    assert stats["authored"] == 2 and len(stats["authored_dropped"]) == 2 and stats["train_rows"] == 3
    ids = [json.loads(x)["id"] for x in out.read_text().splitlines()]
    assert ids == ["nl4opt-train-0", "authored-s1", "authored-s2"]
    bad = subprocess.run([sys.executable, "-m", "optsolve", "train", "annotations", "--labels", str(labels),
                          "--texts", str(tagged), "--out", str(out), "--authored", str(tmp_path / "no.txt")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "no authored problem file" in bad.stderr and "Traceback" not in bad.stderr

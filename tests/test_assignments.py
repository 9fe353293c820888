"""The classroom assignments through ``python -m lessons assignment``: the reference solution scores full marks,
the untouched student copy less, one submission cannot disturb another or the grader, feedback says what is
wrong (in English and Chinese), and every part has three levels of hints.

The attacks of a class that would rather not solve the assignments (reading the solution, cached answers,
surviving the grader, killing or editing it, snooping, litter, fork bombs, memory spread over children) are
in tests/test_assignment_sandbox.py."""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lessons.assignments import grading

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ROOT / "lessons" / "assignments"
TEACHER = ROOT / "teacher"
SEED = ("--seed", "20260101")


def _cli(*args, timeout=300):
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    return subprocess.run([sys.executable, "-m", "lessons", "assignment", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=env)


def _grade_json(name, *paths, extra=()):
    r = _cli("grade", name, *paths, "--json", *SEED, *extra)
    return r, json.loads(r.stdout)["submissions"]


def test_list_names_title_and_points_of_each():
    r = _cli("list")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == len(grading.ASSIGNMENTS) >= 5
    for name, line in zip(grading.ASSIGNMENTS, lines):
        assert line.split()[0] == name and float(line.split()[1]) == grading.points(name) > 0
        assert grading.load(name).TITLE in line


@pytest.mark.parametrize("name", grading.ASSIGNMENTS)
def test_solution_full_marks_student_copy_less(name, tmp_path):
    copy = tmp_path / "alice"
    r = _cli("student", name, copy)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in copy.iterdir()) == ["README.md", "README.zh.md", "student.py", "test_public.py"]
    assert (copy / "student.py").read_bytes() == (ASSIGNMENTS / name / "student.py").read_bytes()
    template = set((ASSIGNMENTS / name / "student.py").read_text(encoding="utf-8").splitlines())
    answers = [line for line in (TEACHER / name / "solution.py").read_text(encoding="utf-8").splitlines()
               if line not in template and len(line.strip()) > 12 and not line.lstrip().startswith(("def ", '"""', "#", "import "))]
    assert answers
    for f in copy.iterdir():
        text = f.read_text(encoding="utf-8")
        assert not [a for a in answers if a in text], f"{f.name} holds part of the solution"
    out = tmp_path / "report"
    r, subs = _grade_json(name, TEACHER / name / "solution.py", copy, extra=("--out", out, "--gradescope"))
    assert r.returncode == 1  # the student copy lost points
    ref, stub = subs
    parts = grading.load(name).PARTS
    assert ref["submission"] == "solution" and stub["submission"] == "alice"
    assert ref["score"] == ref["max"] == stub["max"] == sum(p.points for p in parts)
    assert stub["score"] < stub["max"]
    assert [p["name"] for p in ref["parts"]] == [p.name for p in parts]
    for p in ref["parts"]:
        assert p["score"] == p["max"] and set(p) == {"name", "score", "max", "feedback"}
    assert ref["isolated"] is True and ref["seed_id"] == grading.seed_id(int(SEED[1]))
    # the class report: a feedback file per submission and a CSV with a column per part
    rows = list(csv.DictReader(io.StringIO((out / "class.csv").read_text(encoding="utf-8"))))
    assert [row["submission"] for row in rows] == ["solution", "alice"]
    assert float(rows[0]["score"]) == ref["score"] and float(rows[1]["score"]) == stub["score"]
    assert all(row[p.name] for row in rows for p in parts)
    assert "alice" in (out / "alice.txt").read_text(encoding="utf-8")
    # Gradescope: one results.json per submission when there are several
    gs = json.loads((out / "alice.results.json").read_text(encoding="utf-8"))
    assert gs["score"] == stub["score"] and gs["output_format"] == "text" and gs["visibility"] == "visible"
    assert gs["execution_time"] > 0 and SEED[1] not in json.dumps(gs) and grading.seed_id(int(SEED[1])) in gs["output"]
    assert [(t["score"], t["max_score"]) for t in gs["tests"]] == [(p["score"], p["max"]) for p in stub["parts"]]
    assert all(t["name"] and "output" in t for t in gs["tests"])


def test_public_tests_in_the_student_copy(tmp_path):
    copy = tmp_path / "hw"
    assert _cli("student", "lstm_cell", copy).returncode == 0
    run = lambda: subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(copy)], cwd=ROOT,
                                 capture_output=True, text=True, timeout=300)
    r = run()
    assert r.returncode == 1 and "3 failed" in r.stdout and "lstm_cell_forward is not written yet" in r.stdout
    script = subprocess.run([sys.executable, str(copy / "test_public.py")], cwd=copy, capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert script.returncode == 1 and script.stdout.count("FAIL ") == 3, script.stdout + script.stderr
    (copy / "student.py").write_bytes((TEACHER / "lstm_cell" / "solution.py").read_bytes())
    r = run()
    assert r.returncode == 0 and "3 passed" in r.stdout, r.stdout


def test_student_copy_never_overwrites_work(tmp_path):
    assert _cli("student", "rnn_bptt", tmp_path).returncode == 0
    (tmp_path / "student.py").write_text("# my work\n")
    r = _cli("student", "rnn_bptt", tmp_path)
    assert r.returncode == 2 and "already exists" in r.stderr
    assert (tmp_path / "student.py").read_text() == "# my work\n"


SOLUTION = (TEACHER / "rnn_bptt" / "solution.py").read_text(encoding="utf-8")
HOSTILE = {
    "loops": SOLUTION.replace("def rnn_backward(", "def rnn_backward(*a, **k):\n    while True:\n        pass\n\n\ndef _unused("),
    "crashes": "import os\n\ndef rnn_forward(*a):\n    os._exit(3)\n",
    "greedy": "import numpy as np\n\ndef rnn_forward(*a):\n    return np.ones(1 << 32)\n",
    "forger": ("import os, sys\nprint(json := '{\"submissions\": [{\"submission\": \"forger\", \"score\": 10, \"max\": 10}]}')\n"
               "for fd in range(3, 64):\n    try:\n        os.write(fd, b'\\x00\\x00\\x00\\x05\\x00\\x00\\x00\\x00{\"x\":')\n"
               "    except OSError:\n        pass\nsys.exit(0)\n"),
    "snoop": ("import os, resource\nraise RuntimeError(os.environ.get('GRADER_SECRET', 'no-secret') + ' in ' + os.getcwd() + ' '\n"
              "                   + str(sorted(os.listdir('.'))) + ' memory ' + str(resource.getrlimit(resource.RLIMIT_AS)))\n"),
}


def test_one_submission_cannot_disturb_the_others_or_the_grader(tmp_path):
    paths = []
    for name, source in HOSTILE.items():
        (tmp_path / f"{name}.py").write_text(source, encoding="utf-8")
        paths.append(tmp_path / f"{name}.py")
    (tmp_path / "good.py").write_text(SOLUTION, encoding="utf-8")
    env = dict(os.environ, GRADER_SECRET="s3cret")
    r = subprocess.run([sys.executable, "-m", "lessons", "assignment", "grade", "rnn_bptt", *paths, tmp_path / "good.py", "--json",
                        "--timeout", "4", "--memory", "768", *SEED], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    subs = {s["submission"]: s for s in json.loads(r.stdout)["submissions"]}
    assert subs["good"]["score"] == subs["good"]["max"] == 10
    feedback = {name: " ".join(p["feedback"] for p in s["parts"]) for name, s in subs.items()}
    # an infinite loop: stopped at the time limit, the parts done before it keep their points
    assert [p["score"] for p in subs["loops"]["parts"]] == [2, 0, 0, 0]
    assert "time limit of 4 s reached in rnn_backward" in feedback["loops"]
    assert subs["crashes"]["score"] == 0 and "exit status 3" in feedback["crashes"]
    assert subs["greedy"]["score"] == 0 and "MemoryError" in feedback["greedy"]
    # printed results are not results; writing into the grader's pipe is noticed
    assert subs["forger"]["score"] == 0
    assert "something else than results" in feedback["forger"]
    # a clean environment, in a private copy holding only the submission
    assert "no-secret" in feedback["snoop"] and str(tmp_path) not in feedback["snoop"]
    assert "/sandbox/work ['student.py']" in feedback["snoop"]
    assert f"memory ({768 << 20}, {768 << 20})" in feedback["snoop"]  # a memory limit the submission cannot raise


def test_feedback_names_the_part_shape_value_and_element(tmp_path):
    wrong = (TEACHER / "multihead_heads" / "solution.py").read_text(encoding="utf-8")
    wrong = wrong.replace("return x.reshape(N, T, num_heads, E // num_heads).transpose(0, 2, 1, 3)",
                          "return x.reshape(N, num_heads, T, E // num_heads)")  # right shape, wrong numbers
    wrong = wrong.replace("return x.transpose(0, 2, 1, 3).reshape(N, T, H * d)", "return x.reshape(N, H * d, T)")
    (tmp_path / "bob.py").write_text(wrong, encoding="utf-8")
    r, (bob,) = _grade_json("multihead_heads", tmp_path / "bob.py")
    parts = {p["name"]: p for p in bob["parts"]}
    assert parts["in_projection"]["score"] == parts["in_projection"]["max"]
    split = parts["split_heads"]
    assert 0 < split["score"] < split["max"]  # with one head, a reshape is right
    assert "expected" in split["feedback"] and "heads[0, 0, 1, 0] = " in split["feedback"]
    assert "merged has shape (2, 8, 3), expected (2, 3, 8)" in parts["merge_heads"]["feedback"]
    r = _cli("grade", "multihead_heads", tmp_path / "bob.py", "--lang", "zh")
    assert "merged 的形状是 (2, 8, 3)，应为 (2, 3, 8)" in r.stdout


def test_compare_reports_count_shape_and_non_finite_values():
    want = {"a": np.zeros((2, 3)), "b": np.ones(2)}
    assert grading.compare(want, grading.Outcome([np.zeros((2, 3)), np.ones(2)])) is None
    assert "returned 1 array(s), expected 2: a, b" == grading.compare(want, grading.Outcome([np.zeros((2, 3))]))
    assert "a has shape (3, 2), expected (2, 3)" == grading.compare(want, grading.Outcome([np.zeros((3, 2)), np.ones(2)]))
    got = np.ones(2)
    got[1] = np.nan
    msg = grading.compare(want, grading.Outcome([np.zeros((2, 3)), got]))
    assert msg.startswith("b[1] is nan, expected 1") and "1 of 2 elements wrong" in msg
    assert grading.compare(want, grading.Outcome([np.zeros((2, 3)), np.ones(2)]), only=("a",)) is None


def test_every_part_has_three_hints_in_both_languages(capsys):
    from lessons import i18n
    from lessons.cli import assignment

    try:
        for name in grading.ASSIGNMENTS:
            for part in grading.load(name).PARTS:
                texts = {}
                for lang in ("en", "zh"):
                    for level in (1, 2, 3):
                        assert assignment.main(["hint", name, part.name, "--level", str(level), "--lang", lang]) == 0
                        texts[lang, level] = capsys.readouterr().out
                        assert f"{name} / {part.name}" in texts[lang, level]
                assert len(set(texts.values())) == 6, f"{name}/{part.name}: the hints of each level and language must differ"
    finally:
        i18n.use(None)


def test_every_assignment_message_is_translated():
    babel = pytest.importorskip("babel")  # noqa: F841
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    po = ROOT / "lessons" / "locale" / "zh_CN" / "LC_MESSAGES" / "assignments.po"
    catalog = read_po(io.BytesIO(po.read_bytes()))
    files = sorted(ASSIGNMENTS.rglob("*.py")) + [ROOT / "lessons" / "cli" / "assignment.py"]
    ids = {msg for f in files for _l, msg, _c, _x in extract_from_file("python", str(f), keywords={"_": None, "N_": None})}
    for name in grading.ASSIGNMENTS:
        ids |= {grading.load(name).TITLE} | {m for p in grading.load(name).PARTS for m in (p.title, *p.hints)}
    missing = sorted(m for m in ids if not (catalog.get(m) and catalog.get(m).string))
    assert not missing, f"untranslated in assignments.po: {missing[:3]}"


def test_usage_errors_are_one_line_and_exit_2(tmp_path):
    for args, words in ((("grade", "nope", tmp_path), "unknown assignment 'nope'"),
                        (("grade", "rnn_bptt", tmp_path / "missing.py"), "no such file or folder"),
                        (("hint", "rnn_bptt", "nope"), "has no part 'nope'; its parts are: forward")):
        r = _cli(*args)
        assert r.returncode == 2 and words in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_submissions_are_files_or_folders_with_distinct_names(tmp_path):
    (tmp_path / "carol").mkdir()
    (tmp_path / "carol" / "student.py").write_text("x = 1\n")
    (tmp_path / "dan").mkdir()
    (tmp_path / "dan" / "notes.txt").write_text("")
    (tmp_path / "erin.py").write_text("y = 2\n")
    assert grading.submission_files(tmp_path / "carol") == ({"student.py": b"x = 1\n"}, None)
    assert grading.submission_files(tmp_path / "erin.py") == ({"student.py": b"y = 2\n"}, None)
    assert grading.submission_files(tmp_path / "dan") == (None, "no student.py in dan")
    paths = [tmp_path / "carol", tmp_path / "carol" / "student.py", tmp_path / "erin.py"]
    assert grading.submission_names(paths) == ["carol#1", "carol#2", "erin"]
    (result,) = grading.grade("attention_masks", [tmp_path / "dan"], seed=5, progress=False)
    assert result.score == 0 and all("no student.py in dan" in p.feedback for p in result.parts)


def test_colliding_names_get_distinct_keys_and_files(tmp_path):
    for rel in ("a-2.py", "a.py", "d1/a.py", "d2/a.py", "d3/a/student.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n")
    keys = grading.submission_names([tmp_path / r for r in ("a-2.py", "a.py", "d1/a.py", "d2/a.py", "d3/a")])
    assert keys == ["a-2", "a", "d1/a", "d2/a", "d3/a"] and len(set(keys)) == 5
    from lessons.assignments import report

    assert len({report.file_stem(k) for k in [*keys, "d1%2Fa"]}) == 6  # distinct keys, distinct files


def test_folder_submissions_keep_their_files_and_encodings_are_read_as_python_reads_them(tmp_path):
    sol = (TEACHER / "attention_masks" / "solution.py").read_text(encoding="utf-8")
    folder = tmp_path / "李雷"
    (folder / "helpers").mkdir(parents=True)
    (folder / "helpers" / "__init__.py").write_text("")
    (folder / "helpers" / "impl.py").write_text(sol, encoding="utf-8")
    (folder / "weights.txt").write_text("0.5\n")
    (folder / "main.py").write_text("import numpy as np\nfrom helpers.impl import attention\nSCALE = float(open('weights.txt').read())\n")
    gbk = tmp_path / "gbk.py"
    gbk.write_bytes(("# -*- coding: gbk -*-\n# 注意力：中文注释\n" + sol).encode("gbk"))
    results = grading.grade("attention_masks", [folder, gbk], seed=9, progress=False)
    assert [(r.submission, r.score, r.max) for r in results] == [("李雷", 8, 8), ("gbk", 8, 8)], [r.parts for r in results]


def test_jobs_give_the_same_results_as_one_at_a_time(tmp_path):
    sol = (TEACHER / "rnn_bptt" / "solution.py").read_text(encoding="utf-8")
    def mutate(old: str, new: str) -> str:
        assert old in sol, f"the reference solution no longer contains {old!r}: the mutant would be the solution"
        return sol.replace(old, new)

    variants = {"right": sol, "template": (ASSIGNMENTS / "rnn_bptt" / "student.py").read_text(encoding="utf-8"),
                "no_dW_hh": mutate("dW_hh += da.T @ prev[t]", "dW_hh += 2 * da.T @ prev[t]"),
                "no_truncation": mutate("carry = np.zeros_like(carry)", "pass")}
    paths = []
    for name, source in variants.items():
        (tmp_path / f"{name}.py").write_text(source, encoding="utf-8")
        paths.append(tmp_path / f"{name}.py")
    one = [r.as_dict() for r in grading.grade("rnn_bptt", paths, seed=77, progress=False, jobs=1)]
    many = [r.as_dict() for r in grading.grade("rnn_bptt", paths, seed=77, progress=False, jobs=3)]
    assert one == many
    scores = {r["submission"]: {p["name"]: p["score"] for p in r["parts"]} for r in one}
    # each gradient is its own check: dW_hh alone wrong keeps five sixths of the BPTT parts
    assert scores["no_dW_hh"]["bptt_full"] == 2.5 and scores["no_dW_hh"]["forward"] == 2
    assert 0 < scores["no_dW_hh"]["bptt_truncated"] < 3
    # every truncated case but k >= T catches a backward that does not truncate
    assert scores["no_truncation"]["bptt_full"] == 3 and scores["no_truncation"]["bptt_truncated"] < 1.5


def _zeros_of(name):
    """The solution with every answer replaced by zeros of the right shapes."""
    sol = (TEACHER / name / "solution.py").read_text(encoding="utf-8")
    if name == "attention_backward":
        return sol + ("\n_f, _b = MyAttention.forward, MyAttention.backward\n"
                      "MyAttention.forward = lambda self, q, k, v: _f(self, q, k, v) * 0\n"
                      "MyAttention.backward = lambda self, g: tuple(x * 0 for x in _b(self, g))\n")
    return sol + ("\nimport numpy as _np\n\ndef _zeros(f):\n    def g(*a, **k):\n        r = f(*a, **k)\n"
                  "        return tuple(_np.zeros_like(_np.asarray(x, float)) for x in r) if isinstance(r, tuple) else _np.zeros_like(_np.asarray(r, float))\n"
                  "    return g\n\n"
                  f"for _n in {grading.load(name).FUNCTIONS!r}:\n    globals()[_n] = _zeros(globals()[_n])\n")


@pytest.mark.parametrize("name", grading.ASSIGNMENTS)
def test_zeros_of_the_right_shapes_earn_nothing(name, tmp_path):
    (tmp_path / "zeros.py").write_text(_zeros_of(name), encoding="utf-8")
    (result,) = grading.grade(name, [tmp_path / "zeros.py"], seed=31, progress=False)
    credited = [(p.name, p.score) for p in result.parts if p.score]
    if name == "attention_backward":  # its forward part checks the given forward, which zeros break: nothing either
        assert not credited, credited
    assert not credited, [(p.name, p.feedback) for p in result.parts]


def test_no_check_expects_only_zeros():
    for name in grading.ASSIGNMENTS:
        for seed in (1, 2, 3):
            grading.build(name, seed)  # expect() refuses an all-zero expectation
    with pytest.raises(ValueError, match="all zero"):
        grading.expect("x", grading.call("f"), {"out": np.zeros(3)})


def test_seeds_hidden_from_the_results_and_the_public_seed_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(grading.SEED_VARIABLE, "123456")
    assert grading.grading_seed() == (123456, grading.SEED_VARIABLE)
    assert grading.grading_seed(99) == (99, "--seed")
    monkeypatch.setenv(grading.SEED_VARIABLE, str(grading.PUBLIC_SEED))
    with pytest.raises(ValueError, match="public tests"):
        grading.grading_seed()
    monkeypatch.delenv(grading.SEED_VARIABLE)
    drawn = {grading.grading_seed()[0] for _ in range(3)}
    assert len(drawn) == 3 and grading.PUBLIC_SEED not in drawn
    r = _cli("grade", "rnn_bptt", TEACHER / "rnn_bptt" / "solution.py", "--seed", str(grading.PUBLIC_SEED))
    assert r.returncode == 2 and "public tests" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_class_record_keeps_other_rows_escapes_cells_and_summarises(tmp_path):
    sol = (TEACHER / "attention_masks" / "solution.py").read_text(encoding="utf-8")
    template = (ASSIGNMENTS / "attention_masks" / "student.py").read_text(encoding="utf-8")
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, source in (("王 芳", template), ("=HYPERLINK(0)", sol), ("bob", sol)):
        (subs / f"{name}.py").write_text(source, encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text("submission,student_id\n王 芳,S001\nbob,S002\n", encoding="utf-8")
    out = tmp_path / "class"
    r = _cli("grade", "attention_masks", *sorted(subs.iterdir()), "--out", out, "--roster", roster, "-j", "2", *SEED)
    assert r.returncode == 1, r.stderr
    text = (out / "class.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(0)" in text and "\n=HYPERLINK" not in text
    rows = {row["submission"]: row for row in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {"王 芳", "'=HYPERLINK(0)", "bob"} and rows["王 芳"]["student_id"] == "S001" and rows["王 芳"]["score"] == "0"
    # regrading one student (now right) updates that row and keeps the others; Gradescope gets that student's file
    (subs / "王 芳.py").write_text(sol, encoding="utf-8")
    r = _cli("grade", "attention_masks", subs / "王 芳.py", "--out", out, "--gradescope", *SEED)
    assert r.returncode == 0, r.stderr
    rows = {row["submission"]: row for row in csv.DictReader(io.StringIO((out / "class.csv").read_text(encoding="utf-8")))}
    assert len(rows) == 3 and rows["王 芳"]["score"] == "8" and rows["王 芳"]["student_id"] == "S001" and rows["bob"]["score"] == "8"
    assert (out / "王 芳.results.json").is_file() and not (out / "results.json").exists()
    summary = (out / "summary.txt").read_text(encoding="utf-8")
    assert "submissions: 3" in summary and "median: 8" in summary and "unmasked: 100% / 100%" in summary
    assert (out / "histogram.png").stat().st_size > 1000
    # a record of another assignment is not overwritten
    r = _cli("grade", "rnn_bptt", TEACHER / "rnn_bptt" / "solution.py", "--out", out, *SEED)
    assert r.returncode == 2 and "another assignment" in r.stderr


def test_frames_from_the_child_are_checked_before_use():
    from lessons.assignments import harness

    good = harness.encode_frame(0, [np.arange(6.0).reshape(2, 3)], None) + harness.encode_frame(1, None, "ValueError: x")
    outcomes, import_error, intact = grading._read_frames(good, 3)
    assert intact and import_error is None and outcomes[1].error == "ValueError: x"
    assert np.array_equal(outcomes[0].outputs[0], np.arange(6.0).reshape(2, 3))
    cut, _e, cut_intact = grading._read_frames(good[:-3], 3)  # the child stopped while writing: the frames before count
    assert list(cut) == [0] and cut_intact
    for tampered in (harness.HEADER.pack(60000, 0) + b"[" * 60000,  # nested JSON
                     harness.encode_frame(0, [np.ones(2)], None)[:8] + b'{"call": 0, "error": null, "shapes": [[3]]}' + b"\0" * 16,
                     harness.encode_frame(5, [np.ones(2)], None)):  # a call out of order
        assert grading._read_frames(good + tampered, 9)[2] is False


def test_a_course_grades_with_its_own_solutions_and_cases(tmp_path):
    course = tmp_path / "course" / "attention_masks"
    course.mkdir(parents=True)
    shutil.copyfile(TEACHER / "attention_masks" / "solution.py", course / "solution.py")
    # the course's own hidden cases: the unmasked part only, on other shapes
    (course / "checks.py").write_text(
        "from lessons.assignments.attention_masks.checks import TITLE, FUNCTIONS, PARTS as _PARTS, _case\n"
        "from lessons.assignments.grading import Part\n"
        "PARTS = [Part('unmasked', _PARTS[0].title, 5, lambda rng: [_case(rng, 'N=2, L=7, S=3', 2, 7, 3, 5, 4)], _PARTS[0].hints)]\n",
        encoding="utf-8")
    r, (sub,) = _grade_json("attention_masks", TEACHER / "attention_masks" / "solution.py", extra=("--solutions", course.parent))
    assert r.returncode == 0 and sub["max"] == sub["score"] == 5 and "N=2, L=7, S=3" not in r.stdout, r.stderr
    # a reference that fails the course's checks stops the grading before any student is graded
    (course / "solution.py").write_text((ASSIGNMENTS / "attention_masks" / "student.py").read_text(encoding="utf-8"), encoding="utf-8")
    r = _cli("grade", "attention_masks", TEACHER / "attention_masks" / "solution.py", "--solutions", course.parent, *SEED)
    assert r.returncode == 2 and "reference solution" in r.stderr and "0 / 5" in r.stderr

"""Every ``python -m lessons`` command the README shows runs as written (lessons at their quick sizes),
from a folder holding only the repository's ``examples/``: one that names a file the repository lacks,
or ends in a usage error or a traceback, fails here."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QUICK = {"run", "notebooks"}  # the commands that take --quick


def readme_commands() -> list:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            for match in re.finditer(r"python -m lessons(?:[^#&\n])*", line):
                commands.append(match.group(0).strip())
    return commands


def test_the_readme_names_only_files_a_clone_has():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "../" not in text and "shared/seeds" not in text
    # what a build writes (the site's pages, docs/lessons/) is in .gitignore: named, but not in a clone
    built = {line.strip().rstrip("/") for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()}
    for path in re.findall(r"`((?:examples|docs|lessons|tests|benchmarks|minigrad)/[\w./-]+)`", text):
        if not path.endswith(".html") and path.rstrip("/") not in built:
            assert (ROOT / path).exists(), f"README names {path}, which the repository does not have"
    for code in ("000", "001"):
        assert f"**{code}**" in text, f"README does not say which article is {code}"


def test_the_readme_shows_lesson_commands():
    commands = readme_commands()
    assert len(commands) >= 10
    assert any("--work examples/solution.txt" in c for c in commands) and any("examples/class.csv" in c for c in commands)


@pytest.mark.slow
@pytest.mark.parametrize("command", readme_commands())
def test_every_readme_command_runs(tmp_path, command):
    pytest.importorskip("matplotlib")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    args = command.split()[3:]
    sub = args[0] if args and args[0] in ("check", "mark", "sheet", "assignment", "notebooks") else "run"
    if sub in QUICK and "--help" not in args:
        args.append("--quick")
    if sub == "notebooks":
        pytest.importorskip("jupytext")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "lessons", *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=900)
    # 0, or 1 where a checker found a wrong answer (the examples have one on purpose); never a usage error
    assert proc.returncode in (0, 1), f"{command}: exit {proc.returncode}\n{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.stdout.strip(), f"{command} printed nothing"

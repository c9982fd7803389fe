"""Nothing lost: concurrent writers on one workspace (real processes), hand-edited decisions (every
kind of mistake named with file:line, nothing dropped, untouched lines kept byte for byte), `review`
in a real terminal, `taxonomy apply` killed at every step, the survey's .bbl after an interrupted
export, and a randomized kill probe over a session of commands."""

from __future__ import annotations

import json
import os
import pty
import random
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CLI, cli_env, run_cli, run_killed, write_workspace

from surveyor.classify.runner import classify_workspace
from surveyor.evolve import apply_workspace
from surveyor.export.tools import BBL_STAMP
from surveyor.models import Classification, Label, Paper
from surveyor.pipeline import export, status
from surveyor.review import accepted_labels, decide, parse_answer
from surveyor.store import Workspace

TOPICS = [
    ("sports", "We generate soccer commentary for sports broadcast video."),
    ("streaming", "We answer questions about live streaming video in real time with a memory."),
    ("anomaly", "We detect anomalies in surveillance video with a video model."),
    ("captioning", "We write dense captions for long videos with timestamps."),
]


def papers(n: int, prefix: str = "2401") -> list[Paper]:
    """`n` synthetic papers on four video topics, ids `PREFIX.NNNNN`."""
    out = []
    for i in range(n):
        topic, abstract = TOPICS[i % len(TOPICS)]
        pid = f"{prefix}.{i:05d}"
        out.append(
            Paper(id=pid, arxiv_id=pid, title=f"Paper {prefix}-{i} on {topic} video", abstract=abstract)
        )
    return out


def listing(path: Path, items: list[Paper]) -> Path:
    """A JSONL listing file of these papers, as a user would import it."""
    path.write_text(
        "".join(
            json.dumps({"arxiv_id": p.arxiv_id, "title": p.title, "abstract": p.abstract}) + "\n"
            for p in items
        )
    )
    return path


def workspace(root: Path, n: int = 0) -> Workspace:
    ws = Workspace(write_workspace(root))
    if n:
        ws.save_papers(papers(n))
    return ws


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(extra=env)
    )


def finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=180)
        out.append((proc.returncode, stdout, stderr))
    return out


# --- concurrent writers ------------------------------------------------------------------------------
def test_two_imports_at_once_keep_both_files_papers(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws")
    a = listing(tmp_path / "a.jsonl", papers(150, "2401"))
    b = listing(tmp_path / "b.jsonl", papers(150, "2402"))
    results = finish(
        [start("import", str(a), "-w", str(ws.root)), start("import", str(b), "-w", str(ws.root))]
    )
    assert [rc for rc, _, _ in results] == [0, 0], results
    assert len(ws.load_papers()) == 300


@pytest.mark.slow
def test_ten_labels_at_once_keep_all_ten_decisions(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws", 10)
    nodes = ["app-sports", "remember-streaming", "app-anomaly", "watch-fine"]
    procs = [start("label", f"2401.{i:05d}", nodes[i % 4], "-w", str(ws.root)) for i in range(10)]
    results = finish(procs)
    assert [rc for rc, _, _ in results] == [0] * 10, results
    decided = Workspace(ws.root).load_decisions()
    assert {pid: [lab.node for lab in r.labels] for pid, r in decided.items()} == {
        f"2401.{i:05d}": [nodes[i % 4]] for i in range(10)
    }


@pytest.mark.slow
def test_two_classifies_at_once_do_the_work_once(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws", 400)
    results = finish([start("classify", "-w", str(ws.root)), start("classify", "-w", str(ws.root))])
    assert [rc for rc, _, _ in results] == [0, 0], results
    counts = sorted(int(out.split("classified ")[1].split()[0]) for _, out, _ in results)
    assert counts == [0, 400]
    assert len(ws.load_labels()) == 400
    assert [r.papers for r in ws.load_runs()] == [400]


@pytest.mark.slow
def test_a_second_writer_waits_with_a_message_or_stops_with_a_clear_one(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws", 3)
    with ws.lock("test-holder"):
        busy = run_cli(
            "label", "2401.00000", "app-sports", "-w", str(ws.root), env={"SURVEYOR_LOCK_WAIT": "0"}
        )
        reader = run_cli("status", "-w", str(ws.root), env={"SURVEYOR_LOCK_WAIT": "0"})  # takes no lock
        waiting = start(
            "label", "2401.00001", "app-sports", "-w", str(ws.root), env={"SURVEYOR_LOCK_WAIT": "60"}
        )
        time.sleep(1.5)
        assert waiting.poll() is None, "it must wait while the lock is held"
    ((rc, out, err),) = finish([waiting])
    assert busy.returncode == 1 and "Traceback" not in busy.stderr
    assert f"`surveyor test-holder` (pid {os.getpid()}" in busy.stderr and "is writing" in busy.stderr
    assert "SURVEYOR_LOCK_WAIT" in busy.stderr  # the hint says how to wait longer
    assert reader.returncode == 0 and "papers: 3" in reader.stdout
    assert rc == 0 and "waiting for `surveyor test-holder`" in err and "2401.00001: app-sports" in out
    assert set(Workspace(ws.root).load_decisions()) == {"2401.00001"}


# --- hand-edited decisions -----------------------------------------------------------------------------
def edited(tmp_path: Path, lines: list[str | bytes]) -> Workspace:
    ws = workspace(tmp_path / "ws", 4)
    ws.decisions_path.write_bytes(
        b"".join((ln if isinstance(ln, bytes) else ln.encode()) + b"\n" for ln in lines)
    )
    return ws


def user_error(ws: Workspace, *args: str) -> str:
    result = run_cli(*args, "-w", str(ws.root))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    return result.stderr


GOOD = '{"paper": "2401.00000", "labels": [{"node": "app-sports"}]}'


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"paper": "2401.00001", "labels": [{"node": "app-sprots"}]}', "`app-sprots` is not a node"),
        ('{"paper": "2401.00001"}', "has no labels"),
        ('{"paper": "2401.00001", "labels": []}', "has no labels"),
        (b'{"paper": "2401.00001", "labels": [{"node": "app-sports"}], "reason": "caf\xe9"}', "not UTF-8"),
        ('{"paper": "2401.00001", "labels": [{"node": "app-sports"}]', "not a JSON object"),
        ('{"paper": "2401.00001", "labels": [{"node": "app-sports", "confidence": 7}]}', "confidence"),
        ('{"paper": "2401.00001", "backend": "offline", "labels": [{"node": "app-sports"}]}', "human"),
    ],
)
def test_each_decision_error_names_file_line_and_fix_and_stops(
    tmp_path: Path, line: str | bytes, expected: str
) -> None:
    ws = edited(tmp_path, [GOOD, line])
    before = ws.decisions_path.read_bytes()
    for command in (["status"], ["label", "2401.00002", "app-sports"]):
        err = user_error(ws, *command)
        assert "data/decisions.jsonl:2:" in err and expected in err and "hint:" in err, err
    assert ws.decisions_path.read_bytes() == before  # nothing rewritten, nothing dropped


@pytest.mark.slow
def test_a_decision_error_stops_every_command_that_reads_decisions(tmp_path: Path) -> None:
    ws = edited(tmp_path, [GOOD, '{"paper": "2401.00001", "labels": []}'])
    before = ws.decisions_path.read_bytes()
    for command in (["classify"], ["export", "awesome"], ["build"], ["review"]):
        assert "data/decisions.jsonl:2:" in user_error(ws, *command)
    assert ws.decisions_path.read_bytes() == before
    assert not ws.labels_path.exists()  # no machine label took the place of the decision


def test_unknown_node_error_suggests_the_near_ids(tmp_path: Path) -> None:
    ws = edited(tmp_path, ['{"paper": "2401.00001", "labels": [{"node": "app-sprots"}]}'])
    assert "use one of app-sports" in user_error(ws, "status")


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    ws = edited(
        tmp_path, [GOOD, '{"paper": "2401.00001"}', "", '{"paper": "2401.00002", "labels": [{"node": "x"}]}']
    )
    err = user_error(ws, "status")
    assert "2 problems" in err and "decisions.jsonl:2:" in err and "decisions.jsonl:4:" in err


def test_two_decisions_for_one_paper_name_both_lines(tmp_path: Path) -> None:
    ws = edited(
        tmp_path,
        [GOOD, '{"paper": "2401.00001", "out_of_scope": true}', GOOD.replace("app-sports", "watch-fine")],
    )
    err = user_error(ws, "label", "2401.00003", "app-sports")
    assert "decisions.jsonl:3: a second decision for 2401.00000 (the first is on line 1)" in err


def test_decisions_under_a_merged_papers_two_ids_name_both_lines(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws")
    ws.save_papers([Paper(id="2401.00000", arxiv_id="2401.00000", title="Merged paper", aliases=["t-old"])])
    ws.decisions_path.write_text(GOOD + "\n" + '{"paper": "t-old", "labels": [{"node": "watch-fine"}]}\n')
    err = user_error(ws, "status")
    assert "decisions.jsonl:2: the decision for t-old and the one on line 1 (for 2401.00000)" in err


@pytest.mark.slow
def test_a_decision_for_a_paper_not_in_the_library_waits_for_it(tmp_path: Path) -> None:
    waiting = '{"paper": "2499.00001", "labels": [{"node": "app-anomaly"}]}'
    ws = edited(tmp_path, [GOOD, waiting])
    shown = run_cli("status", "-w", str(ws.root))
    assert shown.returncode == 0 and "decisions.jsonl:2: the decision for 2499.00001 waits" in shown.stdout
    classified = run_cli("classify", "-w", str(ws.root))
    assert classified.returncode == 0 and "2499.00001 waits" in classified.stdout
    assert run_cli("label", "2401.00003", "watch-fine", "-w", str(ws.root)).returncode == 0
    assert waiting.encode() + b"\n" in ws.decisions_path.read_bytes()  # kept, byte for byte
    ws.save_papers([*ws.load_papers().values(), Paper(id="2499.00001", arxiv_id="2499.00001", title="Late")])
    assert status(Workspace(ws.root))["human_decisions"] == 3
    export(Workspace(ws.root), "awesome")
    readme = (ws.root / "output" / "README.md").read_text()
    assert "Late" in readme.split("### Surveillance and anomaly")[1].split("###")[0]


def test_label_and_review_change_only_their_own_lines(tmp_path: Path) -> None:
    # hand-written short forms, out of order, a blank line and no final newline: all kept
    lines = [
        '{"paper": "2401.00003", "out_of_scope": true, "reason": "not video"}',
        GOOD,
        "",
        '{ "paper" : "2401.00001",  "labels": [{"node": "remember-streaming"}] }',
    ]
    ws = workspace(tmp_path / "ws", 4)
    original = "\n".join(lines).encode()
    ws.decisions_path.write_bytes(original)
    assert run_cli("label", "2401.00002", "app-anomaly", "-w", str(ws.root)).returncode == 0
    after = ws.decisions_path.read_bytes().split(b"\n")
    added = [ln for ln in after if b"2401.00002" in ln]
    assert len(added) == 1 and json.loads(added[0])["labels"][0]["node"] == "app-anomaly"
    assert b"\n".join(ln for ln in after if ln not in added) == original
    assert after.index(added[0]) == 0  # sorted place: before the first line for a later paper
    decide(Workspace(ws.root), "2401.00000", ["watch-fine"])
    changed = ws.decisions_path.read_bytes().split(b"\n")
    assert [a == b for a, b in zip(after, changed, strict=True)] == [True, True, False, True, True]


# --- review in a real terminal ----------------------------------------------------------------------------
class Terminal:
    """A command in a real pseudo-terminal: what it prints is read as it comes, answers typed."""

    def __init__(self, *args: str) -> None:
        master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [*CLI, *args], stdin=slave, stdout=slave, stderr=slave, env=cli_env(), start_new_session=True
        )
        os.close(slave)
        self.fd = master
        self.out = ""
        self.pos = 0

    def expect(self, text: str, timeout: float = 60) -> str:
        """Wait until `text` is printed; return what came before it (since the last expect)."""
        deadline = time.monotonic() + timeout
        while text not in self.out[self.pos :]:
            assert time.monotonic() < deadline, (
                f"{text!r} never came; the terminal shows:\n{self.out[-3000:]}"
            )
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if ready:
                try:
                    self.out += os.read(self.fd, 65536).decode("utf-8", "replace").replace("\r\n", "\n")
                except OSError:  # the command ended
                    time.sleep(0.1)
        found = self.out.index(text, self.pos)
        before, self.pos = self.out[self.pos : found], found + len(text)
        return before

    def type(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\r")  # Enter, as a terminal sends it

    def close(self) -> int:
        code = self.proc.wait(timeout=60)
        os.close(self.fd)
        return code


def machine(pid: str, *labels: tuple[str, float]) -> Classification:
    return Classification(
        paper=pid,
        backend="offline",
        model="offline-v2",
        taxonomy_hash="x",
        run_id="r",
        time="2026-11-22T06:00:00Z",
        labels=[Label(node=n, confidence=c, evidence="video") for n, c in labels],
    )


PROMPT = "[a]ccept [c]hange [o]ut of scope [s]kip [q]uit: "


def test_review_in_a_real_terminal(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws", 5)
    ws.save_labels(
        [
            machine("2401.00000", ("watch-fine", 0.9), ("remember-streaming", 0.5), ("app-sports", 0.2)),
            machine("2401.00001", ("app-sports", 0.3)),
            machine("2401.00002", ("remember-streaming", 0.35)),
            machine("2401.00003", ("app-anomaly", 0.38)),
            machine("2401.00004", ("app-anomaly", 0.95)),  # sure: not in the queue
        ]
    )
    term = Terminal("review", "-w", str(ws.root), "--by", "alice")
    shown = term.expect(PROMPT)
    assert "4 papers to review" in shown and "[1/4] Paper 2401-0 on sports video  [2401.00000]" in shown
    assert "1. watch-fine (Fine-grained perception) 0.90" in shown and "3. app-sports (Sports) 0.20" in shown
    assert (
        "accept files it under: watch-fine, remember-streaming (the top label; others only if >= 0.4)"
        in shown
    )
    term.type("x")  # a typo asks again, it is not a skip
    assert "type a, c, o, s or q" in term.expect(PROMPT)
    term.type("a")
    assert "[2/4]" in term.expect(PROMPT)
    term.type("c")
    term.expect("empty goes back): ")
    term.type("app-sprots")  # a typo at the node prompt asks again
    assert "`app-sprots` is not a node; did you mean app-sports" in term.expect("empty goes back): ")
    term.type("?")
    assert "    app-anomaly: Surveillance and anomaly" in term.expect("empty goes back): ")
    term.type("app-anomaly")
    assert "[3/4]" in term.expect(PROMPT)
    term.type("o")
    term.expect("reason it is out of scope: ")
    term.type("")
    assert "please type a few words" in term.expect("reason it is out of scope: ")
    term.type("not about video")
    assert "[4/4]" in term.expect(PROMPT)
    term.type("q")
    assert term.expect(" decisions saved to data/decisions.jsonl").endswith("3")
    assert term.close() == 0
    decided = Workspace(ws.root).load_decisions()
    assert [lab.node for lab in decided["2401.00000"].labels] == ["watch-fine", "remember-streaming"]
    assert [lab.node for lab in decided["2401.00001"].labels] == ["app-anomaly"]
    assert decided["2401.00002"].out_of_scope and decided["2401.00002"].reason == "not about video"
    assert {d.model for d in decided.values()} == {"alice"} and set(decided) == {
        "2401.00000",
        "2401.00001",
        "2401.00002",
    }
    again = Terminal("review", "-w", str(ws.root))
    assert "1 papers to review" in again.expect(PROMPT) and "[1/1]" in again.out
    os.write(again.fd, b"\x04")  # Ctrl-D: stop, what was saved stays
    again.expect("0 decisions saved")
    assert again.close() == 0
    assert len(Workspace(ws.root).load_decisions()) == 3


def test_accept_takes_the_top_label_and_others_only_above_the_threshold() -> None:
    rec = machine("p", ("a", 0.3), ("b", 0.45), ("c", 0.39), ("d", 0.8))
    assert [lab.node for lab in accepted_labels(rec, 0.4)] == ["d", "b"]
    assert [lab.node for lab in accepted_labels(machine("p", ("a", 0.23)), 0.4)] == ["a"]
    assert accepted_labels(machine("p"), 0.4) == []
    assert [
        parse_answer(t) for t in ("a", "Accept", " c ", "o", "out of scope", "s", "q", "x", "", "ac")
    ] == [
        "accept",
        "accept",
        "change",
        "out of scope",
        "out of scope",
        "skip",
        "quit",
        None,
        None,
        None,
    ]


# --- taxonomy apply killed at every step -------------------------------------------------------------------
def labelled(root: Path) -> Workspace:
    """24 classified papers, one human decision on the node the patch merges away, one written by
    hand; and the patch: that merge plus a new node with two members."""
    ws = workspace(root, 24)
    classify_workspace(ws)
    decide(ws, "2401.00000", ["app-sports"])
    with ws.decisions_path.open("a") as fh:
        fh.write('{"paper": "2401.00001", "labels": [{"node": "remember-streaming"}]}\n')
    patch = {
        "base": ws.taxonomy.hash,
        "proposals": [
            {"op": "merge", "node": "app-sports", "into": "apps"},
            {
                "op": "add",
                "node": {"id": "live-qa", "name": "Live question answering"},
                "parent": "remember",
                "members": ["2401.00005", "2401.00009"],
            },
        ],
    }
    (root / "patch.yaml").write_text(yaml.safe_dump(patch, sort_keys=False))
    return ws


def state(root: Path) -> dict[str, Any]:
    """Everything `taxonomy apply` is responsible for, comparable across runs."""
    ws = Workspace(root)
    labels = ws.load_labels()
    return {
        "taxonomy": (root / "taxonomy.yaml").read_text(),
        "decisions": ws.decisions_path.read_text(),
        "labels": {pid: ([lab.node for lab in r.labels], r.out_of_scope) for pid, r in labels.items()},
        "hashes": {r.taxonomy_hash for r in labels.values()},
        "log": [(e["from"], e["to"]) for e in map(json.loads, ws.taxonomy_log_path.read_text().splitlines())],
        "versions": sorted(p.name for p in ws.versions_dir.iterdir()),
        "reverse": (root / "patch.reverse.yaml").read_text(),
        "unfinished": (ws.state_dir / "commit.json").exists(),
    }


@pytest.mark.slow
def test_taxonomy_apply_killed_at_every_step_is_finished_by_a_rerun(tmp_path: Path) -> None:
    original = labelled(tmp_path / "original").root
    reference = tmp_path / "reference"
    shutil.copytree(original, reference)
    done = run_cli("taxonomy", "apply", "patch.yaml", "-w", str(reference), cwd=reference)
    assert done.returncode == 0, done.stderr
    expected = state(reference)
    assert '"node":"apps"' in expected["decisions"] and "remember-streaming" in expected["decisions"]
    assert len(expected["labels"]) == 23 and not expected["unfinished"]  # 2401.00000 is decided: not redone
    step = 0
    while True:
        step += 1
        trial = tmp_path / f"killed-at-{step}"
        shutil.copytree(original, trial)
        killed = run_killed(step, "taxonomy", "apply", "patch.yaml", "-w", str(trial), cwd=trial)
        if killed.returncode == 0:
            break
        assert killed.returncode == -9, killed.stderr
        apply_workspace(Workspace(trial), trial / "patch.yaml")  # the rerun (the CLI calls just this)
        assert state(trial) == expected, f"killed at step {step}"
        shutil.rmtree(trial)
    assert step > 10, "the apply must have been killed at each of its writes"


# --- the survey's .bbl -----------------------------------------------------------------------------------
@pytest.mark.skipif(not (shutil.which("pdflatex") and shutil.which("bibtex")), reason="needs TeX")
@pytest.mark.slow
def test_bbl_is_rebuilt_when_main_tex_changed_since_it_was_made(tmp_path: Path, monkeypatch: Any) -> None:
    ws = workspace(tmp_path / "ws", 4)
    classify_workspace(ws)
    folder = ws.output_dir / "survey"
    export(ws, "survey", arxiv=True)
    assert (folder / "main.bbl").read_text().startswith(BBL_STAMP)
    ws.save_papers([*ws.load_papers().values(), *papers(1, "2402")])
    classify_workspace(ws)

    def interrupted(folder: Path) -> tuple[str, str]:
        raise KeyboardInterrupt

    monkeypatch.setattr("surveyor.export.tools.compile_survey", interrupted)
    with pytest.raises(KeyboardInterrupt):  # main.tex is written, the compile never finishes
        export(ws, "survey")
    monkeypatch.undo()
    assert "2402-0" in (folder / "references.bib").read_text()
    assert "2402-0" not in (folder / "main.bbl").read_text()  # stale, and the files say unchanged
    written = dict(export(Workspace(ws.root), "survey"))
    assert written[folder / "main.bbl"] is True and "2402-0" in (folder / "main.bbl").read_text()
    clone = tmp_path / "clone"  # a fresh clone: new file times, same content: nothing to rebuild
    shutil.copytree(ws.root, clone, ignore=shutil.ignore_patterns(".surveyor"))
    assert dict(export(Workspace(clone), "survey"))[clone / "output" / "survey" / "main.bbl"] is False


# --- a randomized kill probe -------------------------------------------------------------------------
def session(root: Path, tmp: Path) -> list[list[str]]:
    """A session of writing commands on a fresh workspace."""
    write_workspace(root)
    a = listing(tmp / "a.jsonl", papers(40, "2401"))
    b = listing(tmp / "b.jsonl", papers(30, "2402") + papers(5, "2401"))  # 5 duplicates merge
    return [
        ["import", str(a)],
        ["classify"],
        ["label", "2401.00003", "app-anomaly", "watch-fine"],
        ["import", str(b)],
        ["label", "2402.00001", "--out-of-scope", "--reason", "not video"],
        ["classify"],
        ["export", "awesome"],
        ["unmerge", "2401.00002", "2401.00002"],
    ]


def outcome(root: Path) -> dict[str, Any]:
    ws = Workspace(root)
    decided = {
        pid: (sorted(lab.node for lab in r.labels), r.out_of_scope) for pid, r in ws.load_decisions().items()
    }
    return {
        "papers": ws.papers_path.read_text(),
        "decisions": decided,
        "labels": {pid: sorted(lab.node for lab in r.labels) for pid, r in ws.load_labels().items()},
        "readme": (root / "output" / "README.md").read_text(),
        "unfinished": (ws.state_dir / "commit.json").exists(),
    }


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2])
def test_random_kills_during_a_session_lose_nothing(tmp_path: Path, seed: int) -> None:
    reference = tmp_path / "reference"
    for command in session(reference, tmp_path):
        result = run_cli(*command, "-w", str(reference))
        assert result.returncode == 0, result.stderr
    expected = outcome(reference)
    rng = random.Random(seed)
    probe = tmp_path / "probe"
    for command in session(probe, tmp_path):
        killed = run_killed(rng.randint(1, 12), *command, "-w", str(probe))
        assert killed.returncode in (-9, 0), killed.stderr
        if killed.returncode == -9:
            again = run_cli(*command, "-w", str(probe))
            # an unmerge killed after its one-step write was finished by the rerun taking the lock
            done = command[0] == "unmerge" and "was not merged" in again.stderr
            assert again.returncode == 0 or done, f"{command}: {again.stderr}"
    assert outcome(probe) == expected


# --- adopt and update killed at every step -----------------------------------------------------------
LISTS = Path(__file__).parent / "fixtures" / "lists"


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` but the state folder, by relative path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".surveyor" not in p.parts
    }


@pytest.mark.slow
def test_adopt_in_place_killed_at_every_step_is_done_by_a_rerun(tmp_path: Path) -> None:
    def fresh(name: str) -> Path:
        readme = tmp_path / name / "README.md"
        readme.parent.mkdir()
        shutil.copy(LISTS / "bullets_nested.md", readme)
        return readme

    reference = fresh("reference")
    assert run_cli("adopt", str(reference), "--in-place").returncode == 0
    expected = tree(reference.parent)
    assert "surveyor.toml" in expected and expected["README.md"] == (LISTS / "bullets_nested.md").read_bytes()
    step = 0
    while True:
        step += 1
        readme = fresh(f"killed-at-{step}")
        killed = run_killed(step, "adopt", str(readme), "--in-place")
        if killed.returncode == 0:
            break
        assert killed.returncode == -9, killed.stderr
        assert "surveyor.toml" not in tree(readme.parent), "the config is written last"
        rerun = run_cli("adopt", str(readme), "--in-place")
        assert rerun.returncode == 0, f"step {step}: {rerun.stderr}"
        assert tree(readme.parent) == expected, f"killed at step {step}"
    assert step > 3


NEW_ON_ARXIV = [
    (
        "2611.00001",
        "StreamAgent: planning tool calls over live video",
        "We plan tool calls over live streaming video.",
    ),
    (
        "2611.00002",
        "MemoryBank for long video streams",
        "We build a streaming memory for long video streams.",
    ),
]


@pytest.mark.slow
def test_update_killed_anywhere_still_reports_every_new_paper(tmp_path: Path) -> None:
    from fake_arxiv import Entry, FakeArxiv

    from surveyor.update import update

    entries = [Entry(i, 1, t, a, "2026-11-20", "2026-11-20") for i, t, a in NEW_ON_ARXIV]
    original = workspace(tmp_path / "original", 6)
    classify_workspace(original)
    step = -2
    with FakeArxiv(entries) as api:
        cfg = original.root / "surveyor.toml"
        cfg.write_text(
            cfg.read_text()
            + f'\n[arxiv]\napi_url = "{api.url}"\ndelay = 0\n\n[[sources.arxiv]]\nquery = "video"\n'
        )
        while True:
            step += 3  # every third write: fetch, classify and export each get killed a few times
            trial = tmp_path / f"killed-at-{step}"
            shutil.copytree(original.root, trial)
            killed = run_killed(step, "update", "-w", str(trial))
            if killed.returncode == 0:
                break
            assert killed.returncode == -9, killed.stderr
            update(Workspace(trial))  # the rerun
            changes = (trial / "output" / "CHANGES.md").read_text()
            assert "## 2 new papers" in changes and "StreamAgent" in changes and "MemoryBank" in changes, step
            assert len(Workspace(trial).load_labels()) == 8
            shutil.rmtree(trial)
    assert step > 10


def test_a_decision_naming_a_paper_by_another_id_applies_and_label_replaces_it(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws", 3)
    ws.decisions_path.write_text(
        '{"paper": "https://arxiv.org/abs/2401.00001v2", "labels": [{"node": "app-anomaly"}]}\n'
    )
    assert status(ws)["human_decisions"] == 1 and not status(ws)["pending_decisions"]
    decide(ws, "2401.00001", ["watch-fine"])
    decided = Workspace(ws.root).load_decisions()
    assert list(decided) == ["2401.00001"] and decided["2401.00001"].labels[0].node == "watch-fine"

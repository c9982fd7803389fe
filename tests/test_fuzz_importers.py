"""Every importer and reader against random bytes, truncated and mutated listings, and the bad files
people and attackers hand it: no traceback, a skipped record with its line and reason (or one line
of error with a hint), and nothing already imported lost. A full disk is one message too.

The random inputs are seeded (the same on every run); each format gets random bytes, every cut of a
valid sample, and samples with bytes flipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
from datetime import date
from pathlib import Path

import pytest
from conftest import run_cli, write_workspace

from surveyor.errors import InputError
from surveyor.pipeline import import_paths
from surveyor.sources import ALL_FORMATS, parse_file
from surveyor.sources.base import Parsed
from surveyor.sources.snapshot import Filters
from surveyor.store import Workspace

SAMPLES = {
    "daily-readme": "## Video\n| **Title** | **Date** | **Abstract** | **Comment** |\n|---|---|---|---|\n"
    "| **[Stream Net](http://arxiv.org/abs/2401.00001v1)** | 2024-01-02 | "
    "<details><summary>Abstract</summary><p>We stream video.</p></details> | "
    "<details><summary>Comment</summary><p>CVPR 2024</p></details> |\n",
    "hf-listing": "Stream Net: streaming video\n"
    + "We propose a streaming video model that works well. " * 6
    + "\n",
    "abstracts": "Abstract:" + "We propose a streaming video model that works well. " * 3 + "\n",
    "jsonl": json.dumps({"title": "Stream Net", "abstract": "Streaming.", "arxiv_id": "2401.00001"}) + "\n",
    "ids": "2401.00001 Stream Net\nhttps://arxiv.org/abs/2401.00002v2\n",
    "awesome": "# Awesome Video\n\n## Streaming\n\n"
    "- [Stream Net](https://arxiv.org/abs/2401.00001) - CVPR 2024.\n",
    "bibtex": "@inproceedings{lee2024stream,\n  title={Stream Net},\n  author={Lee, Ann and Kim, Bo},\n"
    "  booktitle={CVPR},\n  year={2024},\n  eprint={2401.00001}\n}\n",
    "csv": "title,abstract,arxiv_id\nStream Net,Streaming video.,2401.00001\n",
    "hf-daily": json.dumps([{"paper": {"id": "2401.00001", "title": "Stream Net", "summary": "Streaming."}}]),
    "arxiv-snapshot": json.dumps(
        {
            "id": "2401.00001",
            "submitter": "A",
            "title": "Stream Net",
            "abstract": "Streaming.",
            "categories": "cs.CV",
            "versions": [{"created": "Tue, 2 Jan 2024 10:00:00 GMT"}],
            "update_date": "2024-01-03",
        }
    )
    + "\n",
}


def parse(tmp_path: Path, data: bytes, fmt: str | None, filters: Filters | None = None) -> Parsed:
    path = tmp_path / "input"
    path.write_bytes(data)
    return parse_file(path, "input", fmt, filters or Filters())


def cases(sample: bytes, rng: random.Random) -> list[bytes]:
    """Random bytes of several sizes, every 40th cut of `sample`, and `sample` with bytes flipped."""
    out = [bytes(rng.randrange(256) for _ in range(rng.choice([1, 10, 100, 3000]))) for _ in range(12)]
    out += [sample[:cut] for cut in range(0, len(sample), max(1, len(sample) // 40))]
    for _ in range(25):
        mutated = bytearray(sample)
        for _ in range(rng.randrange(1, 8)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        out.append(bytes(mutated))
    return out


@pytest.mark.slow
def test_every_format_survives_random_truncated_and_mutated_bytes(tmp_path: Path) -> None:
    assert sorted(SAMPLES) == ALL_FORMATS
    rng = random.Random(20)
    for fmt, sample in SAMPLES.items():
        good = parse(tmp_path, sample.encode(), fmt)
        assert good.papers and not good.skipped, (fmt, good.skipped)
        for data in cases(sample.encode(), rng):
            for forced in (fmt, None):  # as named, and as detected
                parsed = parse(tmp_path, data, forced)
                assert all(s.line >= 0 and s.reason for s in parsed.skipped)
                assert all(p.sources and p.sources[0].file == "input" for p in parsed.papers)


ODD_VALUES: list[object] = [
    None,
    True,
    0,
    -1,
    2024,
    1e308,
    "",
    "x",
    "2024-99-99",
    "soon",
    "2401.00001",
    "javascript:x",
]
ODD_VALUES += [
    [],
    {},
    [1, "a"],
    {"a": 1},
    [{"name": 5}],
    "a\x00b\ud800",
    [{"created": 5}],
    [{"created": "bad"}],
]
FIELDS = {
    "jsonl": "title abstract arxiv_id eprint arxiv_url url authors date published year venue doi code_url",
    "hf-daily": "id title summary authors publishedAt projectPage githubRepo",
    "arxiv-snapshot": "id title abstract authors categories comments journal-ref doi versions update_date",
}


def test_json_records_with_fields_of_any_type(tmp_path: Path) -> None:
    rng = random.Random(5)
    filters = [Filters(), Filters(categories=["cs"], since=date(2020, 1, 1), keywords=["x"])]
    for fmt, names in FIELDS.items():
        for _ in range(150):
            records = [
                {k: rng.choice(ODD_VALUES) for k in names.split() if rng.random() < 0.7} for _ in range(4)
            ]
            if fmt == "hf-daily":
                data = rng.choice(
                    [[{"paper": r} for r in records], {"papers": records}, {"papers": 5}, records]
                )
                text = json.dumps(data)
            else:
                text = "".join(json.dumps(r) + "\n" for r in records)
            for chosen in filters:
                parse(tmp_path, text.encode("utf-8", "surrogatepass"), fmt, chosen)  # no exception


DEEP = "[" * 10_000 + "]" * 10_000
GOOD_LINE = json.dumps({"title": "Good paper", "abstract": "Kept."})
DAILY = [
    {"paper": {"id": "2401.00001", "title": "T", "authors": 12, "publishedAt": "soon"}},
    {"paper": {"id": "2401.00002", "title": "U", "publishedAt": "2024-99-99"}},
]
BAD_SNAPSHOT = json.loads(SAMPLES["arxiv-snapshot"]) | {"versions": "x", "update_date": "2024-99-99"}
BIG_CSV = "title,abstract\nBig," + "x" * 200_000 + "\nB paper,good\n" + "C\x00\x01\x7f,\udcff junk\nD,fine\n"


@pytest.mark.parametrize(
    ("fmt", "text", "reason", "titles"),
    [
        ("jsonl", DEEP + "\n" + GOOD_LINE + "\n", "nested too deeply", ["Good paper"]),
        ("jsonl", "{" * 10_000 + "\n" + GOOD_LINE + "\n", "not valid JSON", ["Good paper"]),
        ("hf-daily", DEEP, "nested too deeply", []),
        ("arxiv-snapshot", DEEP + "\n" + SAMPLES["arxiv-snapshot"], "nested too deeply", ["Stream Net"]),
        ("csv", BIG_CSV, "field larger than field limit", ["B paper", "C", "D"]),
        (
            "hf-listing",
            "***\n" + SAMPLES["hf-listing"] + "***\n",
            "page text: '***'",
            ["Stream Net: streaming video"],
        ),
        ("hf-daily", json.dumps(DAILY), "`authors` is not a list", ["T", "U"]),
        ("hf-daily", json.dumps(DAILY), "'soon' is not a date", ["T", "U"]),
        ("arxiv-snapshot", json.dumps(BAD_SNAPSHOT) + "\n", "'2024-99-99' is not a date", ["Stream Net"]),
        (
            "jsonl",
            json.dumps({"title": "t" * 300_000}) + "\n" + GOOD_LINE + "\n",
            "the limit is",
            ["Good paper"],
        ),
        ("jsonl", json.dumps({"title": ["a", "list"]}) + "\n", "`title` is a list", []),
        (
            "bibtex",
            "@misc{a, title={" + "{" * 5000 + "x" + "}" * 5000 + "}}\n" + SAMPLES["bibtex"],
            "",
            ["x", "Stream Net"],
        ),
    ],
)
def test_the_bad_files_from_the_issue(
    tmp_path: Path, fmt: str, text: str, reason: str, titles: list[str]
) -> None:
    parsed = parse(tmp_path, text.encode("utf-8", "surrogateescape"), fmt)
    assert [p.title for p in parsed.papers] == titles
    assert any(reason in s.reason for s in parsed.skipped) or not reason, parsed.skipped


def test_a_date_that_is_no_date_cannot_pass_a_date_filter(tmp_path: Path) -> None:
    dated = Filters(categories=["cs.CV"], since=date(2023, 1, 1))
    parsed = parse(tmp_path, (json.dumps(BAD_SNAPSHOT) + "\n").encode(), "arxiv-snapshot", dated)
    assert not parsed.papers and parsed.skipped[0].line == 1 and "is not a date" in parsed.skipped[0].reason


def test_nothing_already_imported_is_lost(tmp_path: Path) -> None:
    ws = Workspace(write_workspace(tmp_path / "ws"))
    good = tmp_path / "good.jsonl"
    good.write_text(SAMPLES["jsonl"] + json.dumps({"title": "Second good paper", "abstract": "Kept."}) + "\n")
    import_paths(ws, [good])
    kept = ws.load_papers()
    assert len(kept) == 2
    rng = random.Random(7)
    for i, data in enumerate(cases(SAMPLES["jsonl"].encode(), rng)[:30]):
        bad = tmp_path / f"bad{i}.jsonl"
        bad.write_bytes(data)
        with contextlib.suppress(InputError):  # one line of error is allowed; losing papers is not
            import_paths(ws, [bad])
        after = ws.load_papers()
        assert set(kept) <= set(after)
        assert all(after[pid].title == paper.title for pid, paper in kept.items())


@pytest.mark.slow
def test_cli_prints_reasons_never_a_traceback(tmp_path: Path) -> None:
    ws = write_workspace(tmp_path / "ws")
    good = tmp_path / "good.jsonl"
    good.write_text(SAMPLES["jsonl"])
    assert run_cli("import", str(good), "-w", str(ws)).returncode == 0
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(random.Random(3).randrange(256) for _ in range(5000)) + b"\n\x1b]0;pwned\x07 x\n")
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP)
    for path in (junk, deep):
        done = run_cli("import", str(path), "-v", "-w", str(ws))
        assert "Traceback" not in done.stderr + done.stdout and "\x1b" not in done.stdout + done.stderr
        assert done.returncode in (0, 1)
    assert "2401.00001" in (ws / "data" / "papers.jsonl").read_text()


def _mount_tiny_disk(folder: Path) -> bool:
    """A 256 KB tmpfs at `folder` (needs root and mount rights; False where there are none)."""
    if os.geteuid() != 0:
        return False
    folder.mkdir(parents=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)], capture_output=True
    )
    return done.returncode == 0


def test_a_full_disk_is_one_message_and_loses_nothing(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    if not _mount_tiny_disk(disk):
        pytest.skip("no tmpfs to fill: a real full disk needs root and mount rights")
    try:
        ws = write_workspace(disk / "ws")
        first = tmp_path / "first.jsonl"
        first.write_text(SAMPLES["jsonl"])
        assert run_cli("import", str(first), "-w", str(ws)).returncode == 0
        saved = (ws / "data" / "papers.jsonl").read_bytes()
        big = tmp_path / "big.jsonl"
        big.write_text(
            "".join(
                json.dumps({"title": f"Paper {i}", "abstract": f"{i} " + "x" * 2000}) + "\n"
                for i in range(400)
            )
        )
        done = run_cli("import", str(big), "-w", str(ws))
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert "the disk is full" in done.stderr and "free some space" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 2, done.stderr
        assert (ws / "data" / "papers.jsonl").read_bytes() == saved  # the last good version stands
        assert not [p for p in (ws / "data").iterdir() if p.name.endswith(".tmp")]
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.slow
def test_the_other_readers_answer_bad_files_with_one_error(tmp_path: Path) -> None:
    """surveyor.toml, a taxonomy patch, a taxonomy to convert, a workspace benchmarks.yaml."""
    ws = write_workspace(tmp_path / "ws")
    bad = tmp_path / "bad.yaml"
    runs = []
    for text in [
        "- a\n- b\n",
        "proposals: 5\n",
        "proposals: [5]\n",
        "proposals:\n  - op: split\n    children: 5\n",
    ]:
        bad.write_text(text)
        runs.append(run_cli("taxonomy", "apply", str(bad), "-w", str(ws)))
    for text in ["- id: 0\n  name: x\n  children: 5\n", "nodes: 5\n", "[" * 5000 + "]" * 5000]:
        bad.write_text(text)
        runs.append(run_cli("taxonomy", "convert", str(bad), str(tmp_path / "out.yaml")))
    (ws / "benchmarks.yaml").write_text("- name: X\n  aliases: 5\n")
    runs.append(run_cli("export", "graph", "-w", str(ws)))
    (ws / "surveyor.toml").write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    runs.append(run_cli("status", "-w", str(ws)))
    for done in runs:
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) <= 3, done.stderr

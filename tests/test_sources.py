"""Sources at scale: every importer on its format and on broken input, dedupe rules, undo, resolve."""

from __future__ import annotations

import json
import resource
from pathlib import Path

from conftest import SEEDS, write_workspace
from fake_arxiv import Entry, FakeArxiv
from typer.testing import CliRunner

from surveyor.arxiv_fetch import resolve, unresolve
from surveyor.cli import app
from surveyor.merges import duplicates
from surveyor.models import Paper
from surveyor.pipeline import import_paths
from surveyor.sources import detect_format, parse_file
from surveyor.sources.awesome_md import read
from surveyor.sources.dedupe import PaperIndex
from surveyor.sources.snapshot import Filters
from surveyor.store import Workspace

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures"


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def ws(tmp_path: Path, extra: str = "") -> Workspace:
    return Workspace(write_workspace(tmp_path / "ws", extra))


BIB = r"""@inproceedings{ren2024timechat,
  title={{TimeChat}: A Time-sensitive Multimodal Large Language Model for Long Video Understanding},
  author={Ren, Shuhuai and Yao, Linli and M{\"u}ller, J{\"o}rg},
  booktitle={CVPR}, year={2024}, eprint={2312.02051}, archivePrefix={arXiv}
}
@article{broken,
  title = {Missing brace,
  year = 2023
@article{pub, title={A Published Paper}, journal={TPAMI}, year={2023}, doi={10.1109/TPAMI.2023.1}}
@misc{nothing, note={no title at all}}
"""


def test_bibtex_entries_eprints_dois_and_broken_blocks(tmp_path: Path) -> None:
    path = write(tmp_path, "refs.bib", BIB)
    assert detect_format(path, BIB) == "bibtex"
    parsed = parse_file(path, "refs.bib")
    by_key = {p.bibkey: p for p in parsed.papers}
    tc = by_key["ren2024timechat"]
    assert (tc.id, tc.venue, tc.year) == ("2312.02051", "CVPR", 2024)
    assert (
        tc.title == "TimeChat: A Time-sensitive Multimodal Large Language Model for Long Video Understanding"
    )
    assert tc.authors[2] == "Müller, Jörg"
    assert by_key["pub"].doi == "10.1109/TPAMI.2023.1" and by_key["pub"].venue == "TPAMI"
    reasons = {s.line: s.reason for s in parsed.skipped}
    assert "does not parse" in reasons[6] and "no title" in reasons[10]


AWESOME = FIXTURES / "awesome_list.md"


def test_awesome_readme_sections_tables_bullets_and_linkless_papers() -> None:
    doc = read(AWESOME.read_text(), "README.md")
    assert doc.title == "Awesome Video LLMs"
    assert [s.path for s in doc.sections if not s.skip] == [
        ("Models",),
        ("Models", "Agents"),
        ("Models", "Instruction tuning"),
        ("Benchmarks",),
    ]
    assert next(s for s in doc.sections if s.path[-1] == "Agents").text == "LLMs that call tools."
    got = {p.title: (path[-1], p.venue, p.year, p.links.get("code"), p.acronym) for p, path in doc.entries}
    assert got["VideoAgent: Long-form Video Understanding with LLM as Agent"] == (
        "Agents",
        "ECCV",
        2024,
        "https://github.com/x/videoagent",
        "VideoAgent",
    )
    assert got["A paper | with a pipe"][0] == "Agents"
    assert got["TimeChat: A Time-sensitive Multimodal LLM"][1:4] == (
        "CVPR",
        2024,
        "https://github.com/RenShuhuai-Andy/TimeChat",
    )
    assert "Plain title without links" in got and "No link paper" in got
    assert all("Contributing" not in path for _, path in doc.entries)
    assert doc.skipped == []  # the row with a missing cell is read as what it has
    assert got["No link paper"][1:] == (None, 2023, None, "NoLink")


def test_csv_with_missing_and_extra_cells(tmp_path: Path) -> None:
    text = (
        "Title,Year,arXiv,Code\nA video paper,2024,2401.00001,https://github.com/a/b\n"
        "Short row,2023\nToo,many,cells,x,y\n,,\n"
    )
    parsed = parse_file(write(tmp_path, "list.csv", text), "list.csv")
    assert [p.id for p in parsed.papers][:2] == ["2401.00001", parsed.papers[1].id]
    assert parsed.papers[0].links["code"] == "https://github.com/a/b"
    assert {s.line for s in parsed.skipped} == {4, 5}


def test_hf_daily_papers_json(tmp_path: Path) -> None:
    items = [
        {
            "paper": {
                "id": "2502.00001",
                "title": "A daily paper",
                "summary": "About video.",
                "authors": [{"name": "Ada Synthetic"}],
                "publishedAt": "2025-02-03T10:00:00.000Z",
            },
            "numComments": 3,
        },
        {"paper": {"upvotes": 4}},
    ]
    path = write(tmp_path, "daily.json", json.dumps(items))
    parsed = parse_file(path, "daily.json")
    assert parsed.format == "hf-daily" and [p.id for p in parsed.papers] == ["2502.00001"]
    assert parsed.papers[0].authors == ["Ada Synthetic"] and parsed.papers[0].published == "2025-02-03"
    assert parsed.skipped[0].line == 2


def snapshot_line(
    i: int, cats: str, created: str, title: str = "Paper", abstract: str = "We study video."
) -> str:
    return json.dumps(
        {
            "id": f"2401.{i:05d}",
            "submitter": "x",
            "authors": "A. One, B. Two and C. Three",
            "title": f"{title} {i}",
            "comments": "Accepted to CVPR 2024",
            "journal-ref": None,
            "doi": None,
            "categories": cats,
            "abstract": abstract,
            "versions": [{"version": "v1", "created": created}, {"version": "v2", "created": created}],
            "update_date": "2024-02-01",
        }
    )


def test_snapshot_is_streamed_with_filters(tmp_path: Path) -> None:
    lines = [
        snapshot_line(1, "cs.CV cs.AI", "Mon, 8 Jan 2024 10:00:00 GMT", "Video LLM"),
        snapshot_line(2, "hep-ph", "Mon, 8 Jan 2024 10:00:00 GMT", "Video LLM"),
        snapshot_line(3, "cs.CV", "Mon, 9 Jan 2023 10:00:00 GMT", "Video LLM"),
        snapshot_line(4, "cs.CV", "Mon, 8 Jan 2024 10:00:00 GMT", "Protein folding", "We fold proteins."),
        '{"id": "2401.99999", "categories": "cs.CV", "title": "video", broken',
        "",
    ]
    path = write(tmp_path, "arxiv-metadata-oai-snapshot.json", "\n".join(lines))
    from datetime import date

    parsed = parse_file(path, "snap", filters=Filters(["cs."], date(2024, 1, 1), None, ["video"]))
    assert parsed.format == "arxiv-snapshot" and [p.id for p in parsed.papers] == ["2401.00001"]
    paper = parsed.papers[0]
    assert (paper.arxiv_version, paper.published, paper.venue, paper.year) == (2, "2024-01-08", "CVPR", 2024)
    assert paper.authors == ["A. One", "B. Two", "C. Three"] and paper.categories == ["cs.CV", "cs.AI"]
    assert parsed.read == 5 and [s.line for s in parsed.skipped] == [5]


def test_a_100_mb_file_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    filler = "x" * 900
    with path.open("w") as fh:
        for i in range(110_000):
            cats = "cs.CV" if i % 1000 == 0 else "math.CO"
            fh.write(
                snapshot_line(i, cats, "Mon, 8 Jan 2024 10:00:00 GMT").replace("We study video.", filler)
                + "\n"
            )
    assert path.stat().st_size > 100_000_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    parsed = parse_file(path, "big", filters=Filters(["cs.cv"]))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert len(parsed.papers) == 110 and grown_mb < 60


def test_broken_inputs_never_abort_an_import(tmp_path: Path) -> None:
    w = ws(tmp_path)
    files = [
        write(tmp_path, "bad.bib", BIB),
        write(tmp_path, "empty.md", ""),
        write(tmp_path, "latin1.jsonl", b'{"title": "Caf\xe9 video", "abstract": "Video."}\nnot json\n'),
        write(tmp_path, "cut.csv", "Title,Year\nA video paper,2024\nAnother video pa"),
    ]
    reports = import_paths(w, files)
    assert [r.added for r in reports] == [2, 0, 1, 2]
    assert all(r.read >= r.added for r in reports)
    assert len(w.load_papers()) == 5


def test_doi_and_preprint_to_published_merge(tmp_path: Path) -> None:
    index = PaperIndex({})
    preprint = Paper(
        id="2401.00001",
        arxiv_id="2401.00001",
        title="Sparse memory for streaming video",
        doi="10.1109/CVPR.2024.1",
    )
    published = Paper(
        id="t-x",
        title="Efficient Sparse Memory for Streaming Video",
        doi="10.1109/cvpr.2024.1",
        venue="CVPR",
        year=2024,
    )
    index.upsert(preprint)
    assert index.upsert(published) == "merged"
    (merged,) = index.papers.values()
    assert merged.venue == "CVPR" and merged.arxiv_id == "2401.00001"
    assert index.merges[0].rule == "doi"


def test_near_duplicate_titles_merge_and_different_papers_do_not() -> None:
    pairs = [json.loads(x) for x in (FIXTURES / "near_duplicates.jsonl").read_text().splitlines()]
    wrong, missed = [], []
    for pair in pairs:
        index = PaperIndex({})
        index.upsert(Paper(id="a", title=pair["a"]))
        merged = index.upsert(Paper(id="b", title=pair["b"])) == "merged"
        if merged and not pair["same"]:
            wrong.append(pair["why"])
        if pair["same"] and not merged:
            missed.append(pair["why"])
    assert wrong == [], "a wrong merge is worse than a missed one"
    assert len(missed) <= 2, missed


def test_same_title_different_arxiv_ids_stay_apart() -> None:
    index = PaperIndex({})
    index.upsert(Paper(id="2401.00001", arxiv_id="2401.00001", title="Video LLMs"))
    assert index.upsert(Paper(id="2402.00002", arxiv_id="2402.00002", title="Video LLMs")) == "added"


def test_status_duplicates_explains_and_unmerge_undoes_for_good(tmp_path: Path) -> None:
    w = ws(tmp_path)
    first = write(
        tmp_path,
        "one.jsonl",
        json.dumps(
            {
                "title": "Streaming Video Question Answering with In-context Video KV-Cache Retrieval",
                "abstract": "One.",
            }
        )
        + "\n",
    )
    second = write(
        tmp_path,
        "two.jsonl",
        json.dumps(
            {
                "title": "Streaming video question answering with in-context video KV cache retrieval",
                "abstract": "Two.",
            }
        )
        + "\n",
    )
    import_paths(w, [first, second])
    assert len(w.load_papers()) == 1
    (m,) = duplicates(w)
    assert m.rule == "title" and m.record.sources[0].file.endswith("two.jsonl")
    out = runner.invoke(app, ["status", "--duplicates", "-w", str(w.root)])
    assert "1 merges" in out.output and "[title]" in out.output and "two.jsonl:1" in out.output
    result = runner.invoke(app, ["unmerge", m.into, m.absorbed, "-w", str(w.root)])
    assert result.exit_code == 0, result.output
    papers = w.load_papers()
    assert len(papers) == 2 and {p.abstract for p in papers.values()} == {"One.", "Two."}
    import_paths(w, [first, second])  # importing again does not merge them back
    assert len(w.load_papers()) == 2 and duplicates(w) == []


def test_resolve_titles_to_arxiv_ids_and_undo(tmp_path: Path) -> None:
    entries = [
        Entry(
            "2501.00011",
            2,
            "VideoITG: Multimodal Video Understanding with Instructed Temporal Grounding",
            "Abstract one.",
            "2025-01-05",
            "2025-02-01",
        ),
        Entry(
            "2501.00012",
            1,
            "Vidi: Large Multimodal Models for Video Understanding and Editing.",
            "Abstract two.",
            "2025-01-06",
            "2025-01-06",
        ),
    ]
    with FakeArxiv(entries) as api:
        w = ws(tmp_path, f'[arxiv]\napi_url = "{api.url}"\ndelay = 0\nbackoff = 0.01\n')
        paragraphs = (SEEDS / "001_60767e72027c11e5.txt").read_text().split("\n\n")
        start = next(i for i, p in enumerate(paragraphs) if p.startswith("VideoITG"))
        unknown = ["Nobody Wrote This Title About Video", "An abstract about video. " * 12]
        write(tmp_path, "three.txt", "\n\n".join(paragraphs[start : start + 4] + unknown))
        import_paths(w, [tmp_path / "three.txt"])
        before = len(w.load_papers())
        decided = resolve(w)
        assert len(api.requests) == 1  # three titles, one polite request
    rules = {r.before.title: (r.rule, r.arxiv_id) for r in decided}
    assert rules["VideoITG: Multimodal Video Understanding with Instructed Temporal Grounding"] == (
        "exact",
        "2501.00011",
    )
    assert rules["Vidi: Large Multimodal Models for Video Understanding and Editing"] == (
        "exact",
        "2501.00012",
    )
    assert sum(1 for r in decided if r.rule == "not-found") == 1
    papers = w.load_papers()
    assert len(papers) == before and papers["2501.00011"].arxiv_version == 2
    assert papers["2501.00011"].abstract == "Abstract one."  # the newest arXiv version's text wins
    back = unresolve(w, "2501.00011")
    assert back.id.startswith("t-") and "2501.00011" not in w.load_papers()


def test_every_seed_tricky_case_still_holds(tmp_path: Path) -> None:
    w = ws(tmp_path)
    import_paths(w, sorted(SEEDS.glob("0*.txt")))
    assert len(w.load_papers()) == 380
    assert sum(1 for m in duplicates(w)) == 26

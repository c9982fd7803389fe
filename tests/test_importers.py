"""Importers on the real seed listings and on broken input."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SEEDS, write_workspace

from surveyor.errors import InputError
from surveyor.pipeline import import_paths
from surveyor.sources import detect_format, parse_file
from surveyor.sources.venue import venue_from_comment
from surveyor.store import Workspace

SEED_FILES = sorted(SEEDS.glob("0*.txt"))


def seed(prefix: str) -> Path:
    return next(p for p in SEED_FILES if p.name.startswith(prefix))


@pytest.mark.parametrize(
    ("prefix", "fmt", "read"),
    [
        ("000", "abstracts", 10),
        ("001", "hf-listing", 118),
        ("002", "daily-readme", 79),
        ("003", "hf-listing", 119),
        ("004", "daily-readme", 80),
    ],
)
def test_each_seed_format_is_detected_and_read_whole(prefix: str, fmt: str, read: int) -> None:
    path = seed(prefix)
    assert detect_format(path, path.read_text()) == fmt
    parsed = parse_file(path, path.name)
    assert parsed.format == fmt
    assert parsed.read == read
    assert len(parsed.papers) == read
    assert all(p.title or p.abstract for p in parsed.papers)


def test_hf_listing_drops_page_chrome_and_cuts_glued_prefix() -> None:
    papers = parse_file(seed("003"), "003").papers
    assert papers[0].title == (
        "Video2Layout: Recall and Reconstruct Metric-Grounded Cognitive Map for Spatial Reasoning"
    )
    first = parse_file(seed("001"), "001")
    assert (first.papers[0].title or "").startswith("VideoITG:")
    chrome = [s for s in first.skipped if s.reason.startswith("page text")]
    assert [s.line for s in chrome] == [1, 3, 5, 7, 9, 11]
    assert not any(p.title in ("Subscribe", "Daily Papers", "Aug 20") for p in first.papers)


def _ws(tmp_path: Path) -> Workspace:
    return Workspace(write_workspace(tmp_path / "ws"))


def test_all_seeds_give_about_380_distinct_papers(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    reports = import_paths(ws, SEED_FILES)
    papers = ws.load_papers()
    assert len(papers) == 380
    assert sum(r.added for r in reports) == 380
    assert sum(r.read for r in reports) == sum(r.added + r.merged for r in reports)


def test_repeats_across_one_files_sections_merge(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    (report,) = import_paths(ws, [seed("002")])
    assert (report.read, report.added, report.merged) == (79, 70, 9)
    papers = ws.load_papers()
    repeated = [p for p in papers.values() if len({s.section for s in p.sources}) > 1]
    assert len(repeated) == 9


def test_same_id_with_different_titles_across_editions_keeps_newest_version(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    import_paths(ws, [seed("002"), seed("004")])
    paper = ws.load_papers()["2506.02535"]
    assert paper.arxiv_version == 3
    assert paper.title == "Video Anomaly Detection with Semantics-Aware Information Bottleneck"
    assert {s.file.split("/")[-1][:3] for s in paper.sources} == {"002", "004"}
    assert {s.version for s in paper.sources} == {2, 3}
    # the older edition imported last must not win the title back
    ws2 = Workspace(write_workspace(tmp_path / "ws2"))
    import_paths(ws2, [seed("004"), seed("002")])
    assert ws2.load_papers()["2506.02535"].title == paper.title


def test_same_abstract_with_and_without_title_merges_by_abstract(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    import_paths(ws, [seed("000"), seed("003")])
    papers = ws.load_papers()
    hits = [p for p in papers.values() if (p.abstract or "").startswith("Capturing spatial relationships")]
    assert len(hits) == 1
    paper = hits[0]
    assert paper.title and paper.id.startswith("t-")
    assert {s.format for s in paper.sources} == {"abstracts", "hf-listing"}
    assert any(a.startswith("a-") for a in paper.aliases)


def test_papers_without_any_id_get_stable_ids(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    import_paths(ws, [seed("000"), seed("001")])
    first = ws.load_papers()
    assert all(p.id.startswith(("t-", "a-")) for p in first.values())
    ws2 = Workspace(write_workspace(tmp_path / "again"))
    import_paths(ws2, [seed("000"), seed("001")])
    assert set(ws2.load_papers()) == set(first)


def test_reimport_changes_no_byte(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    import_paths(ws, SEED_FILES)
    before = ws.papers_path.read_bytes()
    reports = import_paths(ws, SEED_FILES)
    assert ws.papers_path.read_bytes() == before
    assert sum(r.added for r in reports) == 0
    lines = before.decode().splitlines()
    assert lines == sorted(lines, key=lambda ln: ln.split('"id":"')[1])


def test_truncated_daily_readme_keeps_complete_rows(tmp_path: Path) -> None:
    text = seed("002").read_text()
    cut = text[: text.index("| **[", len(text) // 2) + 300]  # stop inside a row
    path = tmp_path / "cut.md"
    path.write_text(cut)
    parsed = parse_file(path, "cut.md")
    assert parsed.papers and parsed.skipped
    last_line = len(cut.splitlines())
    assert parsed.skipped[-1].line == last_line
    assert "cut short" in parsed.skipped[-1].reason


def test_non_utf8_bytes_are_reported_and_the_rest_imported(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(
        b'{"title": "Caf\xe9 video QA", "abstract": "A video benchmark."}\n'
        b'{"title": "Second paper", "abstract": "Another one."}\n'
    )
    parsed = parse_file(path, "latin1.jsonl")
    assert len(parsed.papers) == 2
    assert parsed.skipped[0].line == 1 and "not UTF-8" in parsed.skipped[0].reason


def test_empty_file_imports_nothing_without_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("")
    parsed = parse_file(path, "empty.txt")
    assert (parsed.read, parsed.papers) == (0, [])


def test_jsonl_bad_lines_are_skipped_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text(
        '{"arxiv_id": "2312.02051", "title": "TimeChat: A Time-sensitive Multimodal LLM", "year": 2024}\n'
        "not json\n"
        '{"labels": ["x"]}\n'
        '["a list"]\n'
        '{"title": "Video-LLaMA", "arxiv_url": "https://arxiv.org/abs/2306.02858v4",'
        ' "authors": "A. B, C. D"}\n'
    )
    parsed = parse_file(path, "papers.jsonl")
    assert [p.id for p in parsed.papers] == ["2312.02051", "2306.02858"]
    assert parsed.papers[1].arxiv_version == 4
    assert parsed.papers[1].authors == ["A. B", "C. D"]
    assert [s.line for s in parsed.skipped] == [2, 3, 4]
    assert "title, an abstract or an arXiv id" in parsed.skipped[1].reason


def test_id_lists(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text(
        "# my papers\n2312.02051 TimeChat: A Time-sensitive Multimodal LLM\n"
        "https://arxiv.org/abs/2306.02858v2\narXiv:2501.00001v1\nnot-an-id\n"
    )
    assert detect_format(path, path.read_text()) == "ids"
    parsed = parse_file(path, "ids.txt")
    assert [p.id for p in parsed.papers] == ["2312.02051", "2306.02858", "2501.00001"]
    assert (parsed.papers[0].title or "").startswith("TimeChat")
    assert parsed.skipped[0].line == 5


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        import_paths(_ws(tmp_path), [tmp_path / "nope.txt"])


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("Accepted to AAAI 2026. Code is available", ("AAAI", 2026)),
        ("To appear in ICCV2025", ("ICCV", 2025)),
        ("Oral spotlight at NeurIPS 2025 UniReps Workshop", ("NeurIPS Workshop", 2025)),
        ("Submitted to IEEE Transactions on Image Processing", None),
        ("10 pages, 5 figures. Under review", None),
        ("Accepted by IEEE Transactions on Image Processing (TIP)", ("TIP", None)),
    ],
)
def test_venue_from_comment(comment: str, expected: tuple[str, int | None] | None) -> None:
    assert venue_from_comment(comment) == expected

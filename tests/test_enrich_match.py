"""Enrichment without the network: title matching on hand-built tricky titles (precision and recall),
reading each service's documented JSON, the venue table, and the rule that what a person entered
wins over enriched values, in enrichment and in later merges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fake_scholarly import Work

from surveyor.enrich import fields, openalex, s2
from surveyor.enrich.match import check_id, decide
from surveyor.enrich.records import Found, doi_key, split_doi
from surveyor.models import Paper, Source
from surveyor.sources.dedupe import merge
from surveyor.sources.venue import known_venue, venue_details
from surveyor.text import safe_url

FIXTURES = Path(__file__).parent / "fixtures"


def title_cases() -> list[dict]:
    """The hand-built set: a listing's paper, what a service returned for its title, the truth."""
    return [json.loads(line) for line in (FIXTURES / "enrich_titles.jsonl").read_text().splitlines()]


def score_titles(cases: list[dict]) -> dict[str, Any]:
    """Precision and recall of `decide` on the cases (a wrong match counts against precision)."""
    tp = fp = fn = 0
    wrong, missed = [], []
    for case in cases:
        paper = Paper.model_validate({"id": "t-case", **case["paper"]})
        found = [Found(source="openalex", **c) for c in case["candidates"]]
        got = decide(paper, found).found
        expect = case["expect"]
        if got is not None and got.id == expect:
            tp += 1
        elif got is not None:
            fp += 1
            wrong.append(case["case"])
        if expect is not None and (got is None or got.id != expect):
            fn += 1
            missed.append(case["case"])
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "wrong": wrong,
        "missed": missed,
        "cases": len(cases),
    }


def test_title_matching_on_tricky_titles_never_takes_a_wrong_paper() -> None:
    cases = title_cases()
    assert len(cases) >= 40 and all(c["synthetic"] for c in cases)
    assert sum(c["expect"] is None for c in cases) >= 20  # look-alikes that must stay apart
    result = score_titles(cases)
    assert result["wrong"] == [] and result["precision"] == 1.0
    # The misses are the cases where the title is not evidence enough (see benchmarks/README.md).
    assert result["recall"] >= 0.75, result["missed"]
    assert set(result["missed"]) <= {
        "subtitle dropped, year agrees",
        "subtitle dropped, nothing else known",
        "name dropped before the colon",
        "name only",
        "truncated title, nothing else known",
    }


def test_a_record_found_by_id_is_refused_when_its_title_is_another_papers() -> None:
    paper = Paper(id="2401.00001", title="Temporal Grounding of Long Videos", arxiv_id="2401.00001")
    right = Found(
        source="s2", id="a", title="Temporal Grounding in Long Videos with Memory", arxiv_id="2401.00001"
    )
    wrong = Found(source="s2", id="b", title="Protein Folding at Scale", arxiv_id="2401.00001")
    assert check_id(paper, right).found == right
    refused = check_id(paper, wrong)
    assert refused.found is None and refused.candidate == wrong and "another paper" in refused.why


def test_openalex_work_objects_read_into_records() -> None:
    work = Work(
        "MVBench: A Comprehensive Multi-modal Video Understanding Benchmark",
        2024,
        ["Kunchang Li", "Yali Wang"],
        arxiv_id="2311.17005",
        doi="10.1109/CVPR52733.2024.02095",
        venue="2024 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
        citations=321,
    )
    (record,) = [openalex.parse(w) for w in work.openalex_works()]
    assert record is not None
    assert record.id == work.openalex_id and record.authors == ["Kunchang Li", "Yali Wang"]
    assert (record.venue, record.venue_kind, record.year) == ("CVPR", "conference", 2024)
    assert (record.doi, record.arxiv_id, record.citations) == (
        "10.1109/cvpr52733.2024.02095",
        "2311.17005",
        321,
    )
    assert record.open_access == "https://arxiv.org/pdf/2311.17005"
    preprint = Work("A Preprint", 2025, ["Ada Synthetic"], arxiv_id="2501.00002")
    (pre,) = [openalex.parse(w) for w in preprint.openalex_works()]
    assert pre is not None and pre.venue is None and pre.doi is None and pre.arxiv_id == "2501.00002"
    assert pre.kind == "preprint"
    assert openalex.parse({"title": "no id"}) is None and openalex.parse("junk") is None


def test_semantic_scholar_paper_objects_read_into_records() -> None:
    work = Work(
        "Video-LLaMA",
        2023,
        ["Hang Zhang"],
        arxiv_id="2306.02858",
        venue="Conference on Empirical Methods in Natural Language Processing",
        acronym="EMNLP",
    )
    record = s2.parse(work.s2())
    assert record is not None and (record.venue, record.venue_kind) == ("EMNLP", "conference")
    assert record.arxiv_id == "2306.02858" and record.doi is None  # arXiv's DataCite DOI is no publication
    preprint = s2.parse(Work("P", 2025, ["A B"], arxiv_id="2501.00003").s2())
    assert preprint is not None and preprint.venue is None  # "arXiv.org" / "ArXiv" is no venue
    journal = s2.parse(
        Work(
            "J",
            2024,
            ["A B"],
            venue="IEEE Transactions on Pattern Analysis and Machine Intelligence",
            venue_type="journal",
        ).s2()
    )
    assert journal is not None and (journal.venue, journal.venue_kind) == ("TPAMI", "journal")
    other = s2.parse(
        Work("K", 2024, ["A B"], venue="Journal of Synthetic Results", venue_type="journal").s2()
    )
    assert other is not None and (other.venue, other.venue_kind) == (
        "Journal of Synthetic Results",
        "journal",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://doi.org/10.1109/CVPR.2024.1", "10.1109/cvpr.2024.1"),
        ("doi:10.1000/xyz", "10.1000/xyz"),
        ("10.1000/x},note={\\input{/etc/hostname}}", None),
        ("not a doi", None),
        (None, None),
    ],
)
def test_dois_are_checked_where_they_enter(value: object, expected: str | None) -> None:
    assert doi_key(value) == expected


def test_arxiv_datacite_dois_and_urls() -> None:
    assert split_doi("https://doi.org/10.48550/arXiv.2401.00001") == (None, "2401.00001")
    assert safe_url("https://arxiv.org/pdf/2401.00001") == "https://arxiv.org/pdf/2401.00001"
    for bad in ("javascript:alert(1)", "https://x.org/a b", "ftp://x.org"):
        assert safe_url(bad) is None
    inert = safe_url("https://x.org/}\\input{x}") or ""
    assert not set("{}\\") & set(inert)  # braces and backslashes percent-encoded


def test_venue_names_as_services_write_them() -> None:
    assert known_venue("2024 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)") == "CVPR"
    assert known_venue("Neural Information Processing Systems") == "NeurIPS"
    assert known_venue("Advances in Neural Information Processing Systems 36") == "NeurIPS"
    assert known_venue("Proceedings of the 32nd ACM International Conference on Multimedia") == "ACM MM"
    assert known_venue(
        "2023 IEEE/CVF Conference on Computer Vision and Pattern Recognition Workshops (CVPRW)"
    ) == ("CVPR Workshop")
    for other in ("International Conference on Computer Vision Systems", "Pattern Recognition", "arXiv.org"):
        assert known_venue(other) is None
    assert venue_details("TPAMI") == (
        "IEEE Transactions on Pattern Analysis and Machine Intelligence",
        "journal",
    )
    assert venue_details("Journal of Synthetic Results") == ("Journal of Synthetic Results", None)


def _found(**kw: object) -> Found:
    return Found.model_validate({"source": "openalex", "id": "W1", **kw})


def test_enrichment_fills_only_what_a_person_left_empty() -> None:
    paper = Paper(
        id="t-1", title="T", venue="CVPR", year=2024, sources=[Source(file="a.md", format="awesome")]
    )
    offered = _found(authors=["Ada Synthetic"], venue="ICCV", venue_kind="conference", year=2023, citations=7)
    new, set_now, notes = fields.apply(paper, [offered])
    assert new.venue == "CVPR" and new.year == 2024  # imported: kept
    assert new.authors == ["Ada Synthetic"] and new.citations == 7
    assert set_now == {"authors": "openalex", "citations": "openalex"}
    assert new.enriched == set_now and new.venue_kind is None  # the kind belongs to ICCV, not CVPR
    assert any("venue: kept 'CVPR'" in n for n in notes)
    # A later enrichment may update what enrichment set, still not what the person set.
    newer, again, _ = fields.apply(new, [_found(authors=["Ada Synthetic", "Alan Example"], citations=9)])
    assert newer.authors == ["Ada Synthetic", "Alan Example"] and newer.citations == 9 and "authors" in again


def test_a_listing_read_again_wins_over_enriched_values_in_a_merge() -> None:
    listed = Paper(id="t-1", title="T", sources=[Source(file="a.md", format="awesome", line=3)])
    enriched, _, _ = fields.apply(listed, [_found(venue="ICCV", venue_kind="conference", authors=["A B"])])
    edited = Paper(id="t-1", title="T", venue="CVPR", sources=[Source(file="a.md", format="awesome", line=3)])
    merged = merge(enriched, edited)
    assert merged.venue == "CVPR" and merged.venue_kind is None
    assert "venue" not in merged.enriched and merged.enriched.get("authors") == "openalex"
    assert merged.authors == ["A B"]


def test_an_arxiv_id_found_gives_the_paper_its_arxiv_id_and_restore_takes_it_back() -> None:
    paper = Paper(id="t-1", title="T")
    new, set_now, _ = fields.apply(paper, [_found(arxiv_id="2401.00009", authors=["A B"])])
    assert new.id == "2401.00009" and new.aliases == ["t-1"] and set_now["arxiv_id"] == "openalex"
    back = fields.restore(new, paper, set_now)
    assert back == paper

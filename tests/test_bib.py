"""BibTeX a reviewer accepts: authors, typed entries with full venue names, arXiv ids shown, Google-
Scholar-style keys, LaTeX read into Unicode and written back (pylatexenc), natbib's sorted and
compressed citations; and the example survey after enrichment from local servers (records synthetic),
compiled with pdflatex + bibtex."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import write_workspace
from fake_scholarly import serve, works_for
from test_graph_latex import bibitems, compile_pdf, needs_tex

from surveyor.config import EnrichConfig
from surveyor.enrich.run import enrich
from surveyor.escape import bib_name
from surveyor.export.latex import bib_entry, cite_keys
from surveyor.models import Paper
from surveyor.pipeline import build, export, import_paths
from surveyor.store import Workspace

BIB_IN = r"""@inproceedings{ommer2024vid,
  title = {\textsc{VidNet}: Seeing {Videos} with {$\pi$}-Attention \& 50\% Less},
  author = {Bj{\o}rn Ommer and M{\"u}ller, J{\"o}rg and {\'E}mile Z{\'e}ro},
  booktitle = {CVPR}, year = {2024}
}
"""


def test_latex_in_a_bib_file_is_read_as_unicode_and_written_back_as_latex(tmp_path: Path) -> None:
    ws = Workspace(write_workspace(tmp_path / "ws"))
    (tmp_path / "in.bib").write_text(BIB_IN)
    import_paths(ws, [tmp_path / "in.bib"])
    (paper,) = ws.load_papers().values()
    assert paper.title == "VidNet: Seeing Videos with π-Attention & 50% Less"
    assert paper.authors == ["Bjørn Ommer", "Müller, Jörg", "Émile Zéro"]
    entry = bib_entry(paper, "k")
    assert "author = {Bj{\\o}rn Ommer and M{\\\"u}ller, J{\\\"o}rg and {\\'E}mile Z{\\'e}ro}" in entry
    assert "{{VidNet: Seeing Videos with $\\pi$-Attention \\& 50\\% Less}}" in entry
    assert "textbackslash" not in entry and "textsc" not in entry


def test_entry_types_follow_the_venue_and_preprints_show_their_arxiv_id() -> None:
    conf = Paper(id="2401.1", arxiv_id="2401.00001", title="A", authors=["Ada Synthetic"], venue="ICCV")
    journal = Paper(
        id="t-2", title="B", authors=["Ada Synthetic"], venue="TPAMI", year=2023, doi="10.1109/x.1"
    )
    other = Paper(
        id="t-3", title="C", authors=["A B"], venue="Journal of Synthetic Results", venue_kind="journal"
    )
    preprint = Paper(id="2402.2", arxiv_id="2402.00002", title="D", authors=["A B"], categories=["cs.CV"])
    e = bib_entry(conf, "k")
    assert e.startswith("@inproceedings{k,") and "booktitle = {IEEE/CVF International Conference on" in e
    assert "eprint = {2401.00001}" in e and "url = {https://arxiv.org/abs/2401.00001}" in e
    e = bib_entry(journal, "k")
    assert e.startswith("@article{k,") and "journal = {IEEE Transactions on Pattern Analysis" in e
    assert "doi = {10.1109/x.1}" in e and "url = {https://doi.org/10.1109/x.1}" in e
    assert bib_entry(other, "k").startswith("@article{k,")
    e = bib_entry(preprint, "k")
    assert e.startswith("@misc{k,") and "howpublished = {arXiv preprint arXiv:2402.00002}" in e
    assert "archivePrefix = {arXiv}" in e and "primaryClass = {cs.CV}" in e and "year = {2024}" in e
    assert "year = {n.d}" in bib_entry(Paper(id="t-4", title="Undated"), "k")  # the style adds the period


def test_keys_are_scholar_style_with_letters_on_clashes() -> None:
    papers = [
        Paper(
            id="2401.00002", arxiv_id="2401.00002", title="Video Agents at Scale", authors=["Ada Lovelace"]
        ),
        Paper(id="2401.00001", arxiv_id="2401.00001", title="The Video Memory", authors=["Ada Lovelace"]),
        Paper(id="t-x", title="On Streaming", authors=["Bjørn Ødegård"], year=2025),
        Paper(id="t-y", title="Tracking", authors=["Smith, John"], year=2023),
        Paper(id="t-z", title="Lots of Authors", authors=[f"Person {i}" for i in range(30)]),
    ]
    keys = cite_keys(papers)
    assert (keys["2401.00001"], keys["2401.00002"]) == ("lovelace2024videoa", "lovelace2024videob")
    assert keys["t-x"] == "odegard2025streaming" and keys["t-y"] == "smith2023tracking"
    assert bib_entry(papers[4], "k").count(" and ") == 25 and "and others}" in bib_entry(papers[4], "k")
    assert bib_name("Team and Co") == "{Team and Co}"
    assert bib_name("Bjørn Ødegård") == "Bj{\\o}rn {\\O}deg{\\r{a}}rd"


@needs_tex
def test_citations_come_sorted_and_compressed(tmp_path: Path) -> None:
    papers = [Paper(id=f"t-{c}", title=f"Paper {c}", authors=[f"Ada {c}son"], year=2024) for c in "abcdefg"]
    keys = cite_keys(papers)
    bib = "\n".join(bib_entry(p, keys[p.id]) for p in papers)
    cites = ",".join(keys[f"t-{c}"] for c in "gcabe")
    (tmp_path / "references.bib").write_text(bib)
    (tmp_path / "main.tex").write_text(
        "\\documentclass{article}\\usepackage[numbers,sort&compress]{natbib}\\usepackage{url}\n"
        f"\\begin{{document}}See \\cite{{{cites}}}.\\nocite{{*}}\n"
        "\\bibliographystyle{plainnat}\\bibliography{references}\\end{document}\n"
    )
    compile_pdf(tmp_path)
    text = subprocess.run(["pdftotext", "main.pdf", "-"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert "See [1–3, 5, 7]." in text


@needs_tex
@pytest.mark.slow
def test_example_survey_after_enrichment_reads_like_a_bibliography(example: Path) -> None:
    ws = Workspace(example)
    ws.config.export.arxiv = False
    build(ws)
    with serve(works_for(list(ws.load_papers().values()))) as srv:
        ws.config.enrich = EnrichConfig(
            openalex_url=srv.openalex_url, s2_url=srv.s2_url, openalex_interval=0, s2_interval=0
        )
        report = enrich(ws)
    assert report.not_found == 0 and report.matched == report.asked > 300
    export(ws, "survey")
    folder = ws.output_dir / "survey"
    bib = (folder / "references.bib").read_text()
    entries = re.findall(r"^@(\w+)\{", bib, re.MULTILINE)
    assert entries.count("inproceedings") > 20 and entries.count("article") > 5 and "misc" in entries
    untitled = sum(1 for p in ws.load_papers().values() if not p.title)  # abstract-only: nothing to look up
    assert bib.count("author = {") + bib.count("title = {{Untitled: ") == len(entries) and untitled <= 10
    assert "howpublished = {arXiv preprint arXiv:" in bib and "Advances in Neural Information" in bib
    work = ws.root / "compiled"
    shutil.copytree(folder, work)
    log = compile_pdf(work)
    assert "undefined" not in log.lower() and "Warning--" not in (work / "main.blg").read_text()
    cited = {
        k
        for group in re.findall(r"\\cite\{([^}]*)\}", (work / "main.tex").read_text())
        for k in group.split(",")
    }
    assert cited <= bibitems((work / "main.bbl").read_text())
    text = subprocess.run(["pdftotext", "main.pdf", "-"], cwd=work, capture_output=True, text=True).stdout
    groups = re.findall(r"\[(\d+(?:[–,]\s?\d+)*)\]", text)
    assert groups and any("–" in g for g in groups)  # compressed ranges
    for group in groups:  # and sorted
        numbers = [int(n) for n in re.findall(r"\d+", group)]
        assert numbers == sorted(numbers), group
    assert "Synthetic" in text and "arXiv preprint arXiv:" in text

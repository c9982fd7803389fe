"""The bundled example's survey after `surveyor enrich`, against the local OpenAlex/Semantic Scholar
server of the tests (tests/fake_scholarly.py; its records are SYNTHETIC: made-up authors, venues and
counts for the example's real titles), compiled with pdflatex + bibtex, pages rendered to PNG.

    python benchmarks/enrich_example.py [OUT_DIR]

Prints what enrichment did (requests, fields filled), the BibTeX entry types, whether the compile left
any undefined reference or BibTeX warning, and writes main.pdf and page PNGs (pdftoppm) to OUT_DIR
(default: a scratch folder) for a person to read.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from _example import built_example  # noqa: E402
from fake_scholarly import serve, works_for  # noqa: E402

from surveyor.config import EnrichConfig  # noqa: E402
from surveyor.enrich.run import enrich  # noqa: E402
from surveyor.export.tools import compile_survey  # noqa: E402
from surveyor.pipeline import export  # noqa: E402


def main() -> None:
    """Build, enrich, export, compile, render."""
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="surveyor-enriched-"))
    ws, _lib = built_example()
    ws.config.export.arxiv = False
    with serve(works_for(list(ws.load_papers().values()))) as srv:
        ws.config.enrich = EnrichConfig(
            openalex_url=srv.openalex_url, s2_url=srv.s2_url, openalex_interval=0, s2_interval=0
        )
        start = time.perf_counter()
        report = enrich(ws)
        took = time.perf_counter() - start
    print(
        f"enrich: {report.asked} papers, {report.matched} enriched ({report.by_title} by title), "
        f"{report.not_found} not found; requests {report.requests}; {took:.1f} s against the local server"
    )
    print("fields filled:", dict(sorted(report.fields.items())))
    export(ws, "survey")
    folder = ws.output_dir / "survey"
    bib = (folder / "references.bib").read_text()
    print("entry types:", dict(Counter(re.findall(r"^@(\w+)\{", bib, re.MULTILINE))))
    print("entries with authors:", bib.count("author = {"))
    bbl, log = compile_survey(folder)
    out.mkdir(parents=True, exist_ok=True)
    work = out / "tex"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(folder, work)
    (work / "main.bbl").write_text(bbl)
    for cmd in (["pdflatex", "-interaction=nonstopmode", "main.tex"],) * 2:
        subprocess.run(cmd, cwd=work, capture_output=True, check=False)
    final = (work / "main.log").read_text(errors="replace")
    pages = re.search(r"Output written on main\.pdf \((\d+) pages", final)
    print(f"undefined references: {'undefined' in log.lower()}; pages: {pages.group(1) if pages else '?'}")
    subprocess.run(["pdftoppm", "-png", "-r", "70", "main.pdf", str(out / "page")], cwd=work, check=True)
    print(f"PDF and pages: {work / 'main.pdf'}, {out}/page-*.png")


if __name__ == "__main__":
    main()

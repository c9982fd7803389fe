"""The external tools some exports call: pdfLaTeX + BibTeX (the `.bbl` arXiv needs), pandoc
(DOCX, HTML, Markdown) and Graphviz (the benchmark picture, when asked for). Each is looked up on
PATH (pandoc also in the `pypandoc-binary` wheel); a missing tool is a clear error that says what to
install, never a silent skip.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import SurveyorError

PANDOC_FORMATS = {"docx": "docx", "html": "html", "md": "gfm"}
_TEX_HINT = "install TeX Live (Debian: apt-get install texlive-latex-extra lmodern) and run again"


def which_pandoc() -> str | None:
    """A pandoc binary: the system's, else the one the `pypandoc-binary` wheel carries."""
    found = shutil.which("pandoc")
    if found:
        return found
    try:
        import pypandoc

        path = pypandoc.get_pandoc_path()
    except (ImportError, OSError):
        return None
    return str(path) if path else None


def _run(cmd: list[str], cwd: Path, what: str) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired as exc:
        raise SurveyorError(f"{what} did not finish in 10 minutes", "look at the log it writes") from exc
    return proc


def compile_survey(folder: Path) -> tuple[str, str]:
    """Run pdflatex, bibtex, pdflatex twice on `folder/main.tex` in a scratch copy; return the `.bbl`
    text and the final LaTeX log."""
    missing = [tool for tool in ("pdflatex", "bibtex") if not shutil.which(tool)]
    if missing:
        raise SurveyorError(f"{' and '.join(missing)} not found: the .bbl needs TeX", _TEX_HINT)
    with tempfile.TemporaryDirectory(prefix="surveyor-tex-") as tmp:
        work = Path(tmp)
        for name in ("main.tex", "references.bib"):
            shutil.copy2(folder / name, work / name)
        latex = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "main.tex"]
        steps = [latex, ["bibtex", "main"], latex, latex]
        for cmd in steps:
            proc = _run(cmd, work, cmd[0])
            if proc.returncode != 0 and cmd[0] == "pdflatex":
                tail = "\n".join((work / "main.log").read_text(errors="replace").splitlines()[-15:])
                raise SurveyorError(
                    f"pdflatex failed on {folder / 'main.tex'}:\n{tail}",
                    "the packages the skeleton uses are forest, adjustbox, booktabs and lmodern: "
                    + _TEX_HINT,
                )
            if proc.returncode not in (0, 1) and cmd[0] == "bibtex":  # 1 = warnings only
                raise SurveyorError(f"bibtex failed on {folder / 'references.bib'}:\n{proc.stdout[-800:]}")
        return (work / "main.bbl").read_text(encoding="utf-8"), (work / "main.log").read_text(
            errors="replace"
        )


BBL_STAMP = "% surveyor: built from main.tex and references.bib "


def survey_digest(folder: Path) -> str:
    """A hash of what the `.bbl` is built from: main.tex and references.bib, as they are now."""
    digest = hashlib.sha256()
    for name in ("main.tex", "references.bib"):
        path = folder / name
        digest.update(path.read_bytes() if path.is_file() else b"")
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def stamped_bbl(text: str, digest: str) -> str:
    """The `.bbl` with a first comment line recording what it was built from (file times are not
    kept by git, so a fresh clone could not tell otherwise)."""
    return f"{BBL_STAMP}{digest}\n{text}"


def bbl_is_current(folder: Path) -> bool:
    """Whether `folder/main.bbl` was built from the main.tex and references.bib now beside it."""
    bbl = folder / "main.bbl"
    if not bbl.is_file():
        return False
    with bbl.open(encoding="utf-8", errors="replace") as fh:
        first = fh.readline().rstrip("\n")
    return first == BBL_STAMP + survey_digest(folder)


CSL = Path(__file__).with_name("numeric.csl")  # numbered citations, as in the PDF
_NO_DATE = re.compile(r"^ *year = \{n\.d\.?\},?\n", re.MULTILINE)  # natbib's stand-in; CSL prints none


def pandoc_convert(folder: Path, fmt: str, out: Path, tex: str) -> None:
    """Convert `tex` (the survey as `render_main(..., pandoc=True)` writes it for pandoc) to `out` in
    `fmt`, its citations numbered and resolved from `folder/references.bib`, a reference list at
    the end."""
    if fmt not in PANDOC_FORMATS:
        raise SurveyorError(f"unknown format `{fmt}`", f"choose one of: {', '.join(PANDOC_FORMATS)}")
    pandoc = which_pandoc()
    if not pandoc:
        raise SurveyorError(
            "pandoc not found", "install it (apt-get install pandoc) or pip install 'surveyor[pandoc]'"
        )
    cmd = [
        pandoc,
        "main.tex",
        "--from=latex",
        f"--to={PANDOC_FORMATS[fmt]}",
        "--citeproc",
        "--bibliography=references.bib",
        f"--csl={CSL}",
        "--metadata=link-citations:true",
        "--metadata=reference-section-title:References",
        "--number-sections",  # the text says "Section 7"
        "--standalone",
        f"--output={out.resolve()}",
    ]
    with tempfile.TemporaryDirectory(prefix="surveyor-pandoc-") as tmp:
        work = Path(tmp)
        bib = (folder / "references.bib").read_text(encoding="utf-8")
        (work / "references.bib").write_text(_NO_DATE.sub("", bib), encoding="utf-8")
        (work / "main.tex").write_text(tex, encoding="utf-8")
        proc = _run(cmd, work, "pandoc")
    if proc.returncode != 0:
        raise SurveyorError(f"pandoc failed on {folder / 'main.tex'}: {proc.stderr.strip()[-800:]}")


def graphviz_svg(dot: str) -> str:
    """Lay out and draw a DOT graph with Graphviz's `dot`, as SVG text."""
    binary = shutil.which("dot")
    if not binary:
        raise SurveyorError(
            "Graphviz (`dot`) not found, and `[export] graph_layout` asks for it",
            'install it (apt-get install graphviz) or set graph_layout = "matplotlib"',
        )
    try:
        proc = subprocess.run(
            [binary, "-Tsvg"], input=dot, capture_output=True, text=True, timeout=120, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise SurveyorError(
            "Graphviz did not finish in 2 minutes", 'set graph_layout = "matplotlib"'
        ) from exc
    if proc.returncode != 0:
        raise SurveyorError(
            f"Graphviz failed: {proc.stderr.strip()[-400:]}", 'set graph_layout = "matplotlib"'
        )
    return proc.stdout

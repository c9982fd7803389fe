"""Share of the offline related-work draft's citing sentences that the support check flags, on the
dev set (papers with the acronyms their Awesome list gives them, filed under their expert labels) and
on the bundled example.

Usage: python benchmarks/draft_support.py [DATA_DIR]   (default: ../shared/data beside the repository)
Prints one Markdown table row per library: nodes drafted, citing sentences, unsupported, share, and
the words most often missing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


def dev_workspace(data: Path, root: Path):  # type: ignore[no-untyped-def]
    """A workspace of the dev set's papers, labelled by hand with the dev set's labels."""
    from surveyor.models import Classification, Label, Paper
    from surveyor.store import Workspace

    root.mkdir(parents=True)
    subprocess.run(
        [
            *(sys.executable, "-c", "from surveyor.cli import main; main()", "taxonomy", "convert"),
            *(str(data / "dev_llms4video_taxonomy.yaml"), str(root / "taxonomy.yaml")),
            *("--facet", "1", "--facet", "2", "--facet", "3"),
        ],
        check=True,
        capture_output=True,
    )
    (root / "surveyor.toml").write_text('title = "Dev set"\ntaxonomy = "taxonomy.yaml"\n')
    ws = Workspace(root)
    papers, decisions = [], []
    for line in (data / "dev_llms4video.jsonl").read_text().splitlines():
        row = json.loads(line)
        if not row.get("abstract"):
            continue
        pid = row["arxiv_id"]
        year = int(row["year"]) if str(row.get("year") or "").isdigit() else None
        papers.append(
            Paper(
                id=pid,
                arxiv_id=pid,
                title=row["title"],
                abstract=row["abstract"],
                acronym=row["acronym"],
                year=year,
            )
        )
        labels = [Label(node=n, confidence=1.0, evidence="") for n in row["labels"] if n in ws.taxonomy]
        decisions.append(
            Classification(
                paper=pid,
                labels=labels,
                paper_type="method",
                backend="human",
                model="dev set",
                taxonomy_hash=ws.taxonomy.hash,
                run_id="dev",
                time="2026-01-01T00:00:00Z",
            )
        )
    ws.save_papers(papers)
    ws.save_decisions(decisions)
    return ws


def row(name: str, ws) -> str:  # type: ignore[no-untyped-def]
    """One table row for the offline draft of `ws`."""
    from surveyor.pipeline import draft

    report, _ = draft(ws)
    missing = Counter(w for d in report.drafts for s in d.citing if not s.supported for w in s.missing)
    words = ", ".join(f"{w} ({n})" for w, n in missing.most_common(6))
    return (
        f"| {name} | {len(report.drafts)} | {report.citing} | {report.unsupported} | "
        f"{report.unsupported_share:.1%} | {words} |"
    )


def main() -> None:
    from _example import built_example

    data = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
    print("| library | nodes | citing sentences | unsupported | share | words most often missing |")
    print("| --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        print(row("dev set (143 papers, list acronyms)", dev_workspace(data, Path(tmp) / "dev")))
    ws, _lib = built_example()
    print(row("bundled example", ws))


if __name__ == "__main__":
    main()

"""Benchmark and dataset mentions in abstracts, from a gazetteer of names and their aliases.

Input: text, and a `Gazetteer` built from the shipped `benchmarks.yaml`, a workspace's own
`benchmarks.yaml`, and the names that the library's benchmark/dataset papers introduce.
Output: `Mention`s — canonical name, kind, and the sentence each was found in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from ..errors import SurveyorError
from ..taxonomy import load_yaml, yaml_problem
from ..text import fold, sentences

SHIPPED = Path(__file__).with_name("benchmarks.yaml")
GENERIC = frozenset(
    "benchmark benchmarks dataset datasets data video videos model models bench test eval evaluation"
    " suite task tasks corpus set new our this the a an".split()
)


def entity_key(name: str) -> str:
    """Alias-insensitive key: case, hyphens, spaces and a `v` before a version number do not count:
    `Video-MME` = `VideoMME` = `Video MME`; `Something-Something V2` = `Something-Something-2`."""
    key = fold(name)
    key = re.sub(r"\bv(?=\d+\b)", "", key)
    return key.replace(" ", "")


@dataclass(frozen=True)
class Entry:
    """One benchmark or dataset and the spellings that name it."""

    name: str
    kind: str  # benchmark | dataset
    aliases: tuple[str, ...] = ()
    source: str = "shipped"  # shipped | workspace | library


@dataclass(frozen=True)
class Mention:
    """A name found in text, with the sentence that mentions it."""

    name: str
    kind: str
    sentence: str
    surface: str = ""  # the spelling in the text, when it differs from the canonical name


def _surface_pattern(surface: str) -> str:
    parts = [re.escape(p) for p in re.split(r"[\s\-_]+", surface.strip()) if p]
    return r"[\s\-_]{0,2}".join(parts)


def usable_name(name: str) -> bool:
    """Whether a name can stand for a benchmark: not a generic word, not a sentence fragment."""
    words = name.split()
    return (
        3 <= len(name) <= 40
        and len(words) <= 4
        and fold(name) not in GENERIC
        and not all(w.lower() in GENERIC for w in words)
        and bool(re.search(r"[A-Z]", name))
    )


class Gazetteer:
    """Known names, matched case-sensitively with interchangeable separators, longest first."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries: dict[str, Entry] = {}
        for entry in entries:
            self.entries.setdefault(entity_key(entry.name), entry)
        self._by_surface: dict[str, Entry] = {}
        for entry in self.entries.values():
            for surface in (entry.name, *entry.aliases):
                self._by_surface.setdefault(entity_key(surface), entry)

    @cached_property
    def _regex(self) -> re.Pattern[str] | None:
        surfaces = sorted(
            {s for e in self.entries.values() for s in (e.name, *e.aliases)}, key=lambda s: (-len(s), s)
        )
        if not surfaces:
            return None
        alternation = "|".join(_surface_pattern(s) for s in surfaces)
        # Case-insensitive, but a match must hold a capital letter or a digit as written: "Egoschema"
        # names EgoSchema, the English word "blink" does not name BLINK.
        return re.compile(rf"(?<![A-Za-z0-9])(?:{alternation})(?![A-Za-z0-9+])", re.I)

    def lookup(self, name: str) -> Entry | None:
        """The entry a name or alias stands for."""
        return self._by_surface.get(entity_key(name))

    def find_all(self, text: str, exclude: set[str] = frozenset()) -> list[Mention]:  # type: ignore[assignment]
        """Known names, then names that evaluation phrases introduce ("on the X dataset",
        "benchmarks (X, Y, Z)", "on X, Y and Z"), each with its sentence; `exclude` are keys to skip."""
        found = {entity_key(m.name): m for m in self.find(text)}
        for sentence in sentences(text):
            if not _CUE.search(sentence):
                continue
            for name in phrase_names(sentence, text):
                entry = self.lookup(name)
                key = entity_key(entry.name if entry else name)
                if key not in found and key not in exclude:
                    found[key] = Mention(
                        entry.name if entry else name, entry.kind if entry else "benchmark", sentence, name
                    )
        keys = [k for k in found if k not in exclude]
        # a shortened form of a name found in the same text is the same entity ("RoboSpatial")
        return [found[k] for k in keys if not any(o != k and o.startswith(k) for o in keys)]

    def find(self, text: str) -> list[Mention]:
        """Every distinct entry mentioned in `text`, with the first sentence naming it, in order."""
        if self._regex is None:
            return []
        found: dict[str, Mention] = {}
        for sentence in sentences(text):
            for match in self._regex.finditer(sentence):
                if not re.search(r"[A-Z0-9]", match.group(0)):
                    continue
                entry = self.lookup(match.group(0))
                if entry is not None and entry.name not in found:
                    found[entry.name] = Mention(entry.name, entry.kind, sentence, match.group(0))
        return list(found.values())


_CUE = re.compile(
    r"\b(experiment\w*|result\w*|achiev\w*|outperform\w*|evaluat\w*|benchmark\w*|dataset\w*|"
    r"surpass\w*|accuracy|AUCs?|mAP|state-of-the-art|SOTA|improv\w*|gains?)\b",
    re.I,
)
_NAME = r"[A-Z][A-Za-z0-9]*(?:[\-.][A-Za-z0-9]+)*"
_ACRONYMS = """auc aucs sota llm llms mllm mllms lmm lmms vlm vlms gpu gpus fps flops map iou bleu cider
meteor rouge rl sft cot qa vqa vad api ai rgb dit vit mae moe lora dpo grpo ppo ood iid
nlp cv asr ocr tts uav ar"""
_NOT_BENCHMARKS = frozenset(_ACRONYMS.split())
_MODEL_FAMILIES = re.compile(
    r"^(gpt|qwen|internvl|llava|gemini|claude|llama|vicuna|clip|blip|siglip|mistral|"
    r"deepseek|phi|gemma|yolo|sam|dino|bert|t5|whisper|hubert|wav2vec)",
    re.I,
)
_ON_NAME_KIND = re.compile(
    rf"\b(?:on|in|using|with|across)\s+(?:the\s+)?(?:[a-z\-]+\s+){{0,2}}?"
    rf"({_NAME}(?:\s+{_NAME})?)\s+(?:dataset|benchmark)s?\b"
)
_KIND_LIST = re.compile(
    rf"\b(?:benchmarks?|datasets?)\s*(?:\(|,?\s*(?:including|such as|namely|i\.e\.,?)\s+)"
    rf"({_NAME}(?:\s*(?:,|and|,\s*and)\s*{_NAME})*)"
)
_ON_LIST = re.compile(
    rf"\b(?:on|across)\s+(?:the\s+)?({_NAME}(?:\s*,\s*{_NAME})*(?:,?\s+and\s+{_NAME})?)"
    rf"(?=\s*(?:[,.;)]|\s+(?:respectively|datasets?|benchmarks?|and\b|while\b|with\b)))"
)
_TASK_LIST = re.compile(rf"[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*\s*\(({_NAME}(?:\s*,\s*{_NAME})*)\)")
_METRIC = re.compile(
    r"^(bleu|rouge|cider|meteor|spice|map|auc|f1|iou|psnr|ssim|lpips|fvd|fid|wer|cer|top-?\d|r@)", re.I
)


def name_like(name: str) -> bool:
    """Whether a token reads as a benchmark or dataset name rather than a word, metric or model."""
    name = name.strip(" .,")
    if len(name) < 3 or name.lower() in _NOT_BENCHMARKS or _MODEL_FAMILIES.match(name) or _METRIC.match(name):
        return False
    capitals = sum(c.isupper() for c in name)
    return capitals >= 2 or any(c.isdigit() for c in name) or ("-" in name and capitals >= 1)


def abbreviates(name: str, text: str) -> bool:
    """Whether an all-capitals name is the initials of a phrase in the text (a task or method
    abbreviation such as VAU = "video anomaly understanding"), so not a benchmark's name."""
    if not re.fullmatch(r"[A-Z]{2,6}", name):
        return False
    words = re.findall(r"[A-Za-z]+", text)  # hyphen parts each give an initial...
    compounds = re.findall(r"[A-Za-z][\w-]*", text)  # ...or the compound gives one
    return any(name in "".join(w[0].upper() for w in ws) for ws in (words, compounds))


def phrase_names(sentence: str, text: str = "") -> list[str]:
    """Names that evaluation phrases in one sentence introduce (`text`, the whole abstract, tells
    abbreviations of its own phrases apart)."""
    out: list[str] = []
    for pattern in (_ON_NAME_KIND, _KIND_LIST, _ON_LIST, _TASK_LIST):
        for match in pattern.finditer(sentence):
            parts = re.split(r"\s*(?:,\s*and|,|\band)\s*", match.group(1))
            if pattern is _TASK_LIST and len(parts) == 1 and not re.search(r"\d|[a-z][A-Z]", parts[0]):
                continue  # "(VAD)" abbreviates; "(THUMOS14)" names
            for raw in parts:
                part = re.sub(r"-(based|style|like|level)$", "", raw.strip())
                words = part.split()
                multi = len(words) > 1 and name_like(words[0]) and all(w[0].isupper() for w in words)
                if part and not abbreviates(part, text or sentence) and (name_like(part) or multi):
                    out.append(part)
    return list(dict.fromkeys(out))


def load_entries(path: Path, source: str) -> list[Entry]:
    """Read a benchmarks.yaml list of `{name, kind, aliases}`."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8")) or []
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        why = yaml_problem(exc) if isinstance(exc, yaml.YAMLError) else str(exc)
        raise SurveyorError(f"{path}: cannot be read as YAML: {why}", "fix that file") from exc
    if not isinstance(raw, list):
        raise SurveyorError(f"{path}: expected a list of {{name, kind, aliases}}")
    out = []
    for number, item in enumerate(raw, 1):
        if not isinstance(item, dict) or not item.get("name"):
            raise SurveyorError(f"{path}: entry {number} needs a `name`", "see the shipped benchmarks.yaml")
        kind = item.get("kind", "benchmark")
        if kind not in ("benchmark", "dataset"):
            raise SurveyorError(f"{path}: entry {number} ({item['name']}): kind must be benchmark or dataset")
        aliases = item.get("aliases") or []
        if not isinstance(aliases, list):
            raise SurveyorError(f"{path}: entry {number} ({item['name']}): `aliases` must be a list")
        aliases = tuple(str(a) for a in aliases)
        out.append(Entry(str(item["name"]), kind, aliases, source))
    return out


def shipped_entries() -> list[Entry]:
    """The entries of the shipped benchmarks.yaml."""
    return list(_shipped())


@lru_cache(maxsize=1)
def _shipped() -> tuple[Entry, ...]:
    return tuple(load_entries(SHIPPED, "shipped"))  # read once a process (the classifier and the graph)


EVALUATING_TYPES = frozenset({"method", "analysis", "other"})


def relations(
    title: str | None, abstract: str | None, kind: str, own: Iterable[str], gazetteer: Gazetteer
) -> tuple[list[Mention], list[Mention]]:
    """(evaluated on, introduced) for one paper: names it introduces are its own, the rest it
    evaluates on — only for method, analysis and other papers, since benchmark and survey papers
    mostly mention other benchmarks to compare with them."""
    own_keys = {entity_key(n) for n in own}
    evaluated, introduced = [], []
    text = "\n".join(t for t in (title, abstract) if t)
    method = title.split(":", 1)[0].strip() if title and ":" in title else ""
    skip = {entity_key(method)} if method else set()
    for mention in gazetteer.find_all(text, skip) if kind in EVALUATING_TYPES else gazetteer.find(text):
        if entity_key(mention.name) in own_keys:
            introduced.append(mention)
        elif kind in EVALUATING_TYPES:
            evaluated.append(mention)
    return evaluated, introduced

"""Text that addresses the model instead of describing a paper: a prompt injection in a title or an
abstract, or one a model echoes back as its evidence or reason.

Input: any text. Output: the first sentence that reads as an instruction to a model, or None.
Pure and cheap (a handful of regular expressions per sentence), so it runs on every reply.

Caught: requests to ignore or override instructions ("ignore the instructions above"), orders about
this classification ("label this paper X", "classify the paper as", "this paper should be labelled",
"mark it out of scope", "set out_of_scope"), text that speaks to the model ("you are", "you must",
"as an AI", "dear AI", "note to the language model", "if you are an LLM"), reply-format orders
("respond only with"), chat-template markers (`<|im_start|>`, `[INST]`, `system:`) and the reply's
own JSON keys written into the text.
Not caught: an injection phrased as ordinary description ("this paper is the best example of
streaming video"), one in another language, one split across sentences or hidden in characters
that look alike; a paper *about* prompt injection that quotes such a sentence is flagged too
(a false alarm: it goes to review, nothing is lost).
"""

from __future__ import annotations

import re

from ..text import sentences

_THING = r"(?:paper|article|abstract|work|study|document|manuscript|preprint|submission|entry|record)"
_ORDER = r"(?:label|classify|categori[sz]e|tag|mark|assign|file|put|place|rate|score|list|move|sort)"
_MODEL = r"(?:ai|a\.i\.|llm|gpt|chatgpt|claude|gemini|language model|assistant|chatbot|classifier|bot|model)"
_PATTERNS = [
    # "ignore / disregard / forget / override (all) (the) previous instructions"
    r"\b(?:ignore|disregard|forget|override|bypass)\b\W+(?:\w+\W+){0,4}?"
    r"(?:instructions?|prompts?|guidelines|directions|directives|rules|system message)\b",
    # orders about this classification
    rf"\b{_ORDER}\s+(?:this|the|that)\s+{_THING}\b(?!s)\s+(?:as|under|in|into|with|to)\b",
    rf"\b{_ORDER}\s+this\s+{_THING}\b(?!s)",
    rf"(?:^|[.!?:;]\s*)(?:please\s+|now\s+)?{_ORDER}\s+(?:it|this|that)\b",
    rf"\b(?:this|the)\s+{_THING}\s+(?:must|should|shall|has to|needs to|is to)\s+be\s+"
    r"(?:labell?ed|classified|categori[sz]ed|tagged|marked|placed|filed|put|listed|rated|scored|treated)\b",
    r"\b(?:set|mark|flag|consider)\b[^.!?]{0,30}\bout[ _-]of[ _-]scope\b",
    rf"\b(?:correct|right|true|only|proper|real)\s+(?:label|category|class|node)\s+(?:for|of)\s+this\s+{_THING}\b",
    r"\b(?:assign|give|use)\s+(?:it\s+)?(?:the\s+)?(?:label|category|node)\b",
    r"\bconfidence\s*(?:of|=|:|to)?\s*(?:1\.0+|1|100\s*%)(?![\w.])(?!\s*[-−+])",
    r"\bout_of_scope\b|\bin_scope\b",
    # speaking to the model
    r"\byou\s+(?:are|must|should|will|shall|need to|have to|may now|can now)\b",
    r"\bas\s+an?\s+(?:ai|a\.i\.|artificial intelligence|llm)\b",
    rf"\b(?:dear|hey|hello|note to|message to|instructions? (?:for|to))\s+(?:the\s+|any\s+|all\s+)?"
    rf"{_MODEL}s?\b",
    rf"\b(?:any|every|all)\s+{_MODEL}s?\s+(?:reading|processing|classifying|reviewing|summari[sz]ing|parsing)\b",
    r"\b(?:respond|reply)\s+(?:only|with|exactly|in json)\b",
    r"\b(?:output|return|print)\s+(?:only|exactly)\b",
    # chat templates and the reply's own format
    r"<\|?(?:im_start|im_end|system|assistant|user|endoftext|eot_id)\|?>|\[/?INST\]|<</?SYS>>",
    r"(?:^|\n)\s*(?:system|assistant|user|human)\s*:",
    r"#{2,}\s*(?:instruction|system|response)\b",
    r"[\"'](?:labels|out_of_scope|confidence|node|evidence)[\"']\s*:",
]
_INJECTION = [re.compile(p, re.I) for p in _PATTERNS]  # one by one: twice as fast as one alternation


def _found(text: str) -> bool:
    return any(p.search(text) for p in _INJECTION)


def addressed_to_model(text: str | None) -> str | None:
    """The first sentence of `text` that reads as an instruction to a model, cut to 160 characters;
    None when there is none."""
    if not text or not _found(text):
        return None
    for sentence in sentences(text) or [text]:
        if _found(sentence):
            return " ".join(sentence.split())[:160]
    return " ".join(text.split())[:160]


def injection_flag(*texts: str | None) -> str | None:
    """Why a verdict must wait for a human, when any of `texts` addresses the model; else None."""
    for text in texts:
        found = addressed_to_model(text)
        if found:
            return f"text addressed to the model (possible prompt injection): “{found}”"
    return None

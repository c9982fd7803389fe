"""Bibliographic metadata from OpenAlex and Semantic Scholar (`surveyor enrich`).

`service` is how a request is sent (pace, retries, Retry-After); `lookups` puts the cache in front
of it; `openalex` and `s2` say what to ask each API and read its documented JSON into `Found`
records (`records`); `match` decides, without I/O, whether a record found by title is the paper;
`fields` merges records into a paper, never over what a person entered; `run` drives it for a
workspace, with the log and undo.
"""

"""Lookups in the metadata services through the cache: each answer stored as it arrives (under the
request's key and under the record's own id), so nothing answered is asked again.

Input: the cache, the services, id keys or titles. Output: `Found` records; None for "not asked"
(the service stopped answering in this run), which the caller must tell apart from "not known".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType

from ..store import Cache, Workspace
from ..text import normalize_title
from . import openalex, s2
from .records import Found
from .service import Service, ServiceStopped

MODULES: dict[str, ModuleType] = {"openalex": openalex, "s2": s2}


def services(ws: Workspace, sleep: Callable[[float], None] | None = None) -> dict[str, Service]:
    """The configured services, in the configured order."""
    kwargs = {"sleep": sleep} if sleep else {}
    return {name: MODULES[name].service(ws.config.enrich, **kwargs) for name in ws.config.enrich.sources}


class Lookups:
    """Lookups in each service through the cache: an answer once received is not asked for again
    (with `refresh`, it is asked once more in this run)."""

    def __init__(self, cache: Cache, svcs: dict[str, Service], refresh: bool = False) -> None:
        self.cache, self.services, self.refresh = cache, svcs, refresh
        self.cached = 0
        self.stopped: dict[str, str] = {}
        self._fresh: set[str] = set()

    def _get(self, key: str) -> tuple[bool, object]:
        if self.refresh and key not in self._fresh:
            return False, None
        hit = self.cache.get(key)
        if hit is None:
            return False, None
        self.cached += 1
        return True, json.loads(hit[0])

    def _put(self, key: str, value: object) -> None:
        self.cache.put(key, "enrich", json.dumps(value, sort_keys=True, ensure_ascii=False), 0, 0)
        self._fresh.add(key)

    def _stop(self, source: str, exc: ServiceStopped) -> None:
        self.stopped[source] = f"{exc.message} ({exc.hint})" if exc.hint else exc.message

    def ids(self, source: str, keys: list[str]) -> dict[str, Found | None]:
        """Each id key's record (None: the service does not know it); keys left out were not asked."""
        module = MODULES[source]
        out: dict[str, Found | None] = {}
        todo = []
        for key in dict.fromkeys(keys):
            hit, raw = self._get(f"enrich:{source}:id:{key}")
            if hit:
                out[key] = module.parse(raw)
            else:
                todo.append(key)
        for params, chunk in module.batches(todo) if source not in self.stopped else ():
            try:
                got = module.fetch_batch(self.services[source], params, chunk)
            except ServiceStopped as exc:
                self._stop(source, exc)
                break
            for key, raw in got.items():
                self._put(f"enrich:{source}:id:{key}", raw)
                out[key] = self._own(source, raw)
        return out

    def _own(self, source: str, raw: object) -> Found | None:
        """Parse a record and file it under its own id too, so a rerun asking by that id finds it."""
        record = MODULES[source].parse(raw)
        own = MODULES[source].id_key(source, record.id) if record else None
        if own and (self.refresh or not self.cache.get(f"enrich:{source}:id:{own}")):
            self._put(f"enrich:{source}:id:{own}", raw)
        return record

    def title(self, source: str, title: str) -> list[Found] | None:
        """The records a title search returns (None: the service was not asked)."""
        module = MODULES[source]
        params = module.title_params(title)
        if params is None:
            return []
        key = f"enrich:{source}:title:{normalize_title(title)}"
        hit, raw = self._get(key)
        if not hit:
            if source in self.stopped:
                return None
            try:
                raw = module.search_title(self.services[source], params)
            except ServiceStopped as exc:
                self._stop(source, exc)
                return None
            self._put(key, raw)
            records = [self._own(source, item) for item in raw]
        else:
            records = [module.parse(item) for item in raw or []]  # type: ignore[attr-defined]
        return [r for r in records if r is not None]

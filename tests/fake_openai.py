"""A real HTTP server on 127.0.0.1 that speaks the parts of the OpenAI API surveyor uses:
POST /v1/chat/completions, POST /v1/files, GET /v1/files/{id}/content, POST /v1/batches and
GET /v1/batches/{id}.

SYNTHETIC: every reply is built here by hand in the documented response formats; nothing was
recorded from the live service. The `oracle` decides a "correct" classification from keywords;
`faults` script failures per paper title: 429 (with Retry-After; `429huge`: a day), 500, timeout,
dropped connection, malformed JSON, ids outside the taxonomy, finish_reason=length, refusal, and
replies that are not chat completions (`html`: a 200 HTML page, `list`: a 200 JSON list,
`tool_nofunc`: a tool call without `function`), `echo_key`: a 400 whose error body repeats the
request's Authorization header. `always` applies one fault to every request. `reject` lists
structured-output modes answered with 400, like a server that does not support them; `models`
limits the models served (others: 404 `model_not_found`, as OpenAI answers; GET /v1/models lists
them); `keys` limits the API keys accepted (others: 401).

Run standalone for benchmarks: python tests/fake_openai.py --latency 0.2 [--record FILE]
(prints the base URL; with --record, every chat request body is appended to FILE as a JSON line)
"""

from __future__ import annotations

import argparse
import email.parser
import json
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Oracle = Callable[[str, str], dict[str, Any]]


def keyword_oracle(rules: dict[str, str], fallback: str) -> Oracle:
    """A classification by the first rule keyword found in title or abstract."""

    def decide(title: str, abstract: str) -> dict[str, Any]:
        text = f"{title} {abstract}".lower()
        node = next((n for k, n in rules.items() if k in text), fallback)
        first = re.split(r"(?<=\.)\s", abstract.strip())[0] if abstract.strip() else title
        name = title.split(":")[0] if ":" in title else None
        return {
            "out_of_scope": False,
            "reason": None,
            "labels": [{"node": node, "confidence": 0.9, "evidence": first}],
            "paper_type": "benchmark" if "benchmark" in text else "method",
            "method": name,
            "evaluates_on": [],
            "introduces": [],
        }

    return decide


class FakeOpenAI:
    """The server; use as a context manager. `requests` records every call (path, headers, body)."""

    def __init__(
        self,
        oracle: Oracle,
        latency: float = 0.0,
        reject: tuple[str, ...] = (),
        faults: dict[str, list[str]] | None = None,
        timeout_sleep: float = 3.0,
        always: str | None = None,
        models: tuple[str, ...] | None = None,
        keys: tuple[str, ...] | None = None,
        record: str | None = None,
    ) -> None:
        self.oracle = oracle
        self.latency = latency
        self.reject = set(reject)
        self.faults = {k: list(v) for k, v in (faults or {}).items()}
        self.timeout_sleep = timeout_sleep
        self.always = always
        self.models = models
        self.keys = keys
        self.record = record
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.attempts: Counter[str] = Counter()
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL to give the client."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def chat_requests(self) -> list[Any]:
        """Bodies of the chat-completion requests received."""
        return [body for path, _, body in self.requests if path.endswith("/chat/completions")]

    # chat -------------------------------------------------------------------
    def complete(self, body: dict[str, Any], auth: str = "") -> tuple[int, dict[str, str], Any]:
        """Status, headers and JSON (or a fault marker) for one chat request."""
        if self.keys is not None and auth.removeprefix("Bearer ") not in self.keys:
            return 401, {}, _error("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        if self.models is not None and body.get("model") not in self.models:
            text = f"The model `{body.get('model')}` does not exist or you do not have access to it."
            return 404, {}, _error(text, "invalid_request_error", "model_not_found")
        mode = _mode(body)
        if mode in self.reject:
            return (
                400,
                {},
                {
                    "error": {
                        "message": f"response format {mode} is not supported by this server",
                        "type": "invalid_request_error",
                        "param": "response_format",
                        "code": None,
                    }
                },
            )
        title, abstract = _paper(body)
        with self.lock:
            self.attempts[title] += 1
            fault = next((queue.pop(0) for key, queue in self.faults.items() if key in title and queue), None)
        fault = fault or self.always
        if fault in ("html", "list", "tool_nofunc", "echo_key", "429huge"):
            return _odd(fault, body, auth)
        if fault == "429":
            return (
                429,
                {"retry-after": "1", "retry-after-ms": "50"},
                {"error": {"message": "Rate limit reached", "type": "rate_limit"}},
            )
        if fault == "429s":
            return (
                429,
                {"retry-after": "1"},
                {"error": {"message": "Rate limit reached", "type": "rate_limit"}},
            )
        if fault == "500":
            return 500, {}, {"error": {"message": "synthetic server error", "type": "server_error"}}
        if fault in ("timeout", "drop"):
            return 0, {}, fault
        reply = self.oracle(title, abstract)
        finish = "stop"
        content: str | None = json.dumps(reply)
        refusal = None
        if fault == "malformed":
            content = '{"labels": [{"node": '
        elif fault == "bad_id":
            content = json.dumps(
                {**reply, "labels": [{"node": "no-such-node", "confidence": 0.5, "evidence": title}]}
            )
        elif fault == "length":
            whole = json.dumps(reply)
            content, finish = whole[: len(whole) // 2], "length"
        elif fault == "refusal":
            content, refusal = None, "I can't help with classifying this paper."
        return 200, {}, _completion(body, mode, content, refusal, finish)


def _error(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _odd(fault: str, body: dict[str, Any], auth: str) -> tuple[int, dict[str, str], Any]:
    """Replies a misconfigured server or proxy gives (synthetic)."""
    if fault == "html":
        page = b"<!DOCTYPE html><html><head><title>Welcome</title></head><body>It works!</body></html>"
        return 200, {"Content-Type": "text/html"}, page
    if fault == "list":
        return 200, {}, [{"object": "model", "id": body.get("model")}]
    if fault == "tool_nofunc":
        message = {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function"}]}
        completion = _completion(body, "text", "", None, "tool_calls")
        completion["choices"][0]["message"] = message
        return 200, {}, completion
    if fault == "echo_key":
        return (
            400,
            {},
            _error(f"Invalid request: header Authorization={auth} is malformed", "invalid_request"),
        )
    return 429, {"retry-after": "86400"}, _error("You exceeded your daily request limit.", "rate_limit")


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # listen backlog: many clients connect at once
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-reply (it gave up, or stopped its run) is not a server error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _mode(body: dict[str, Any]) -> str:
    if body.get("tools"):
        return "tools"
    return (body.get("response_format") or {}).get("type", "text")


def _paper(body: dict[str, Any]) -> tuple[str, str]:
    for message in body.get("messages", []):
        text = message.get("content") or ""
        if "Paper to classify:" in text:
            part = text.split("Paper to classify:", 1)[1]
            title = re.search(r"Title: (.*)", part)
            abstract = re.search(r"Abstract: (.*)", part, re.S)
            return (title.group(1).strip() if title else "", abstract.group(1).strip() if abstract else "")
    users = [m.get("content") or "" for m in body.get("messages", []) if m.get("role") == "user"]
    return "", users[-1] if users else ""  # not a classification (a related-work draft): the whole prompt


def _completion(
    body: dict[str, Any], mode: str, content: str | None, refusal: str | None, finish: str
) -> dict[str, Any]:
    prompt_tokens = sum(len(m.get("content") or "") for m in body.get("messages", [])) // 4
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": refusal}
    if mode == "tools" and content is not None:
        message["content"] = None
        message["tool_calls"] = [
            {
                "id": "call_synthetic",
                "type": "function",
                "function": {"name": "classify", "arguments": content},
            }
        ]
        finish = "tool_calls" if finish == "stop" else finish
    completion_tokens = len(content or refusal or "") // 4
    return {
        "id": "chatcmpl-synthetic",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "synthetic"),
        "system_fingerprint": "synthetic",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms ACK stall

        def log_message(self, *args: Any) -> None:
            pass

        def _send(
            self, status: int, payload: Any, headers: dict[str, str] | None = None, raw: bytes | None = None
        ) -> None:
            if isinstance(payload, bytes):
                payload, raw = None, payload
            data = raw if raw is not None else json.dumps(payload).encode()
            headers = dict(headers or {})
            kind = headers.pop(
                "Content-Type", "application/json" if raw is None else "application/octet-stream"
            )
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_POST(self) -> None:
            raw = self._body()
            headers = dict(self.headers.items())
            if self.path.endswith("/chat/completions"):
                body = json.loads(raw)
                fake.requests.append((self.path, headers, body))
                if fake.record:
                    with fake.lock, open(fake.record, "a", encoding="utf-8") as fh:
                        fh.write(json.dumps(body, ensure_ascii=False) + "\n")
                if fake.latency:
                    time.sleep(fake.latency)
                status, extra, payload = fake.complete(body, self.headers.get("Authorization", ""))
                if payload == "timeout":
                    time.sleep(fake.timeout_sleep)
                    return
                if payload == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self._send(status, payload, extra)
            elif self.path.endswith("/files"):
                fake.requests.append((self.path, headers, None))
                self._send(200, _store_file(fake, self.headers.get("Content-Type", ""), raw))
            elif self.path.endswith("/batches"):
                body = json.loads(raw)
                fake.requests.append((self.path, headers, body))
                self._send(200, _create_batch(fake, body))
            else:
                self._send(404, {"error": {"message": f"no route {self.path}"}})

        def do_GET(self) -> None:
            fake.requests.append((self.path, dict(self.headers.items()), None))
            if self.path.endswith("/models") and fake.models is not None:
                listed = [
                    {"id": m, "object": "model", "created": 0, "owned_by": "synthetic"} for m in fake.models
                ]
                self._send(200, {"object": "list", "data": listed})
                return
            m = re.search(r"/files/([\w-]+)/content$", self.path)
            if m and m.group(1) in fake.files:
                self._send(200, None, raw=fake.files[m.group(1)])
                return
            m = re.search(r"/batches/([\w-]+)$", self.path)
            if m and m.group(1) in fake.batches:
                batch = fake.batches[m.group(1)]
                batch["status"] = "completed"  # synthetic: finished by the first look
                batch["output_file_id"] = batch.pop("_pending_output", batch.get("output_file_id"))
                self._send(200, batch)
                return
            self._send(404, {"error": {"message": f"no route {self.path}"}})

    return Handler


def _store_file(fake: FakeOpenAI, content_type: str, raw: bytes) -> dict[str, Any]:
    message = email.parser.BytesParser().parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    data, name = b"", "upload.jsonl"
    for part in message.walk():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            name = part.get_filename() or name
    file_id = f"file-synthetic-{len(fake.files) + 1}"
    fake.files[file_id] = data
    return {
        "id": file_id,
        "object": "file",
        "bytes": len(data),
        "created_at": int(time.time()),
        "filename": name,
        "purpose": "batch",
        "status": "processed",
    }


def _create_batch(fake: FakeOpenAI, body: dict[str, Any]) -> dict[str, Any]:
    lines = [json.loads(x) for x in fake.files[body["input_file_id"]].decode().splitlines() if x.strip()]
    out = []
    for i, line in enumerate(lines):
        status, _, payload = fake.complete(line["body"])
        ok = status == 200 and isinstance(payload, dict)
        out.append(
            {
                "id": f"batch_req_{i}",
                "custom_id": line["custom_id"],
                "response": {"status_code": status, "request_id": f"req_{i}", "body": payload}
                if ok
                else None,
                "error": None if ok else {"code": str(status), "message": "synthetic failure"},
            }
        )
    output_id = f"file-synthetic-{len(fake.files) + 1}"
    fake.files[output_id] = "".join(json.dumps(x) + "\n" for x in out).encode()
    batch_id = f"batch_synthetic_{len(fake.batches) + 1}"
    counts = defaultdict(int, total=len(out), completed=sum(x["error"] is None for x in out))
    counts["failed"] = counts["total"] - counts["completed"]
    batch = {
        "id": batch_id,
        "object": "batch",
        "endpoint": body["endpoint"],
        "errors": None,
        "input_file_id": body["input_file_id"],
        "completion_window": body["completion_window"],
        "status": "in_progress",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": int(time.time()),
        "request_counts": dict(counts),
        "_pending_output": output_id,
    }
    fake.batches[batch_id] = batch
    return {k: v for k, v in batch.items() if not k.startswith("_")}


def main() -> None:
    """Serve until killed, printing the base URL (for benchmarks)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--record", help="append every chat request body to this file")
    args = parser.parse_args()
    server = FakeOpenAI(keyword_oracle({}, "watch-comprehensive"), latency=args.latency, record=args.record)
    with server:
        print(server.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            sys.exit(0)


if __name__ == "__main__":
    main()

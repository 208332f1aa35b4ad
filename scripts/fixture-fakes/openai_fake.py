#!/usr/bin/env python3
"""A loopback OpenAI-compatible Chat Completions server for scripts/make-upgrade-fixture.sh.

Answers like Tests/JobForgeTestSupport/FakeOpenAIServer.swift, deterministically from the request:
- an imputation request (user message with `missing_attributes`): one item per attribute, its value
  on the attribute's scale from an FNV-1a hash of title and code, confidence 0.30-0.89;
- a NOC suggestion request (user message with `noc_2021_unit_groups`): one listed unit group
  chosen by the hash of the title, confidence 0.72.
Misbehaves on purpose so that the store keeps other outcomes too:
- titles containing OFFSCALE_TITLE get their first item 3 above the scale's maximum (an "invalid" cell);
- titles containing REFUSE_TITLE get a refusal to the NOC suggestion.

Listens on 127.0.0.1 only, on a free port written to the file given as the first argument.
usage: openai_fake.py PORT_FILE [API_KEY]
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_KEY = sys.argv[2] if len(sys.argv) > 2 else "test"
OFFSCALE_TITLE = "Scrum Master"
REFUSE_TITLE = "Chief of Staff"
counter = {"id": 0}


def fnv1a(text: str) -> int:
    h = 0xcbf29ce484222325
    for b in text.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def number(value):
    return int(value) if float(value).is_integer() and abs(value) < 1e15 else value


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("openai-fake: " + (fmt % args) + "\n")

    def send_json(self, status, obj, headers=None):
        body = json.dumps(obj, separators=(",", ":"), sort_keys=True).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, message, type_="invalid_request_error", code=None):
        self.send_json(status, {"error": {"message": message, "type": type_, "param": None, "code": code}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self.error(404, f"no route {self.path}")
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            return self.error(401, "Incorrect API key provided.", code="invalid_api_key")
        try:
            request = json.loads(raw)
        except ValueError:
            return self.error(400, "the request body is not JSON")
        fmt = request.get("response_format") or {}
        if fmt.get("type") != "json_schema" or not (fmt.get("json_schema") or {}).get("strict"):
            return self.error(400, "response_format is not a strict json_schema")
        messages = request.get("messages") or []
        users = [m for m in messages if m.get("role") == "user"]
        if not messages or messages[0].get("role") != "system" or not users:
            return self.error(400, "messages must start with a system message and contain a user message")
        try:
            user = json.loads(users[-1]["content"])
        except (ValueError, TypeError):
            return self.error(400, "the user message is not JSON")
        model = request.get("model", "")
        counter["id"] += 1
        rid = counter["id"]
        title = (user.get("job") or {}).get("title", "")
        refusal = None
        if "noc_2021_unit_groups" in user:
            groups = user["noc_2021_unit_groups"]
            pick = groups[fnv1a(title) % len(groups)][:5] if groups else "00000"
            if REFUSE_TITLE in title:
                content, refusal = None, "I can't help with classifying this title."
            else:
                content = json.dumps({"rationale": f"Fake choice for {title}.", "unit_group": pick, "confidence": 0.72},
                                     separators=(",", ":"), sort_keys=True)
            completion_tokens = 30
        else:
            asked = user.get("missing_attributes") or []
            if not asked:
                return self.error(400, "the user message has no missing_attributes")
            items = []
            for a in asked:
                code, lo, hi = a["attribute"], float(a["scale"]["min"]), float(a["scale"]["max"])
                h = fnv1a(title + "|" + code)
                steps = int(max(0, hi - lo)) + 1
                items.append({"attribute": code, "rationale": f"Fake estimate of {code} for {title}.",
                              "value": number(lo + (h % steps)), "confidence": 0.3 + ((h // 7) % 60) / 100})
            if OFFSCALE_TITLE in title:
                items[0]["value"] = number(float(asked[0]["scale"]["max"]) + 3)
            content = json.dumps({"answers": items}, separators=(",", ":"), sort_keys=True)
            completion_tokens = (len(content.encode("utf-8")) + 3) // 4
        prompt_tokens = (len(raw) + 3) // 4
        response = {
            "id": f"chatcmpl-fake-{rid}", "object": "chat.completion", "created": int(time.time()), "model": model,
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "logprobs": None, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content, "refusal": refusal, "annotations": []}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }
        self.send_json(200, response, {"x-request-id": f"req_fake_{rid}"})


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1], "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()

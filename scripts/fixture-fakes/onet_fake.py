#!/usr/bin/env python3
"""A loopback O*NET Web Services v2 stand-in for scripts/make-upgrade-fixture.sh, like
Tests/JobForgeTestSupport/FakeONetServer.swift: serves a text-release folder in the v2 shapes.

Routes: GET /about, GET /online/occupations/{code}/,
GET /database/rows/{table}?filter=onetsoc_code.eq.{code}&start=&end= (at most 2000 rows a page,
`next` while more remain; 422 {"error": ...} when the code has no rows of that table).
A request without the right X-API-Key gets 403 with an HTML page.

Listens on 127.0.0.1 only, on a free port written to the file given as the first argument.
usage: onet_fake.py PORT_FILE DB_TEXT_FOLDER [API_KEY]
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API_KEY = sys.argv[3] if len(sys.argv) > 3 else "fake-onet-key-0123456789"
COLUMNS = {"O*NET-SOC Code": "onetsoc_code", "Element ID": "element_id", "Element Name": "element_name",
           "Scale ID": "scale_id", "Category": "category", "Data Value": "data_value", "N": "n",
           "Standard Error": "standard_error", "Lower CI Bound": "lower_ci_bound", "Upper CI Bound": "upper_ci_bound",
           "Recommend Suppress": "recommend_suppress", "Not Relevant": "not_relevant", "Date": "date_updated",
           "Domain Source": "domain_source"}
NUMERIC = {"data_value", "n", "standard_error", "lower_ci_bound", "upper_ci_bound", "category"}
TABLES = {"skills": "Skills.txt", "knowledge": "Knowledge.txt", "abilities": "Abilities.txt",
          "work_activities": "Work Activities.txt", "work_context": "Work Context.txt"}
TITLES, HEADERS, LINES = {}, {}, {}


def load(folder):
    with open(os.path.join(folder, "Occupation Data.txt"), encoding="utf-8") as f:
        for line in f.read().splitlines()[1:]:
            fields = line.split("\t")
            if len(fields) >= 3:
                TITLES[fields[0]] = (fields[1], fields[2])
    for table, name in TABLES.items():
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            continue
        lines = open(path, encoding="utf-8").read().splitlines()
        HEADERS[table] = [h.strip() for h in lines[0].split("\t")]
        by_code = {}
        for line in lines[1:]:
            by_code.setdefault(line.split("\t", 1)[0], []).append(line)
        LINES[table] = by_code


def row_json(table, line):
    row = {}
    for key, value in zip((COLUMNS.get(h) for h in HEADERS[table]), line.split("\t")):
        if key is None:
            continue
        if value in ("n/a", ""):
            row[key] = None
        elif key in NUMERIC:
            try:
                row[key] = float(value)
            except ValueError:
                row[key] = value
        else:
            row[key] = value
    return row


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("onet-fake: " + (fmt % args) + "\n")

    def reply(self, status, obj=None, raw=None, content_type="application/json"):
        body = raw if raw is not None else json.dumps(obj, sort_keys=True).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.headers.get("X-API-Key") != API_KEY:
            html = b"<!DOCTYPE html><html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1></body></html>"
            return self.reply(403, raw=html, content_type="text/html")
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = [p for p in url.path.split("/") if p]
        if parts == ["about"]:
            return self.reply(200, {"api_version": "2.0", "title": "O*NET Web Services (fake)"})
        if len(parts) == 3 and parts[:2] == ["online", "occupations"]:
            if parts[2] not in TITLES:
                return self.reply(422, {"error": f"Occupation code {parts[2]} not found"})
            title, description = TITLES[parts[2]]
            return self.reply(200, {"code": parts[2], "title": title, "description": description})
        if len(parts) == 3 and parts[:2] == ["database", "rows"]:
            table = parts[2]
            if table not in HEADERS:
                return self.reply(422, {"error": f"Unknown table {table}"})
            prefix = "onetsoc_code.eq."
            filt = query.get("filter", "")
            if not filt.startswith(prefix):
                return self.reply(422, {"error": "This fake needs filter=onetsoc_code.eq.CODE"})
            code = filt[len(prefix):]
            rows = LINES[table].get(code) or []
            if not rows:
                return self.reply(422, {"error": f"No {table} data for occupation {code}"})
            start = max(1, int(query.get("start", "1")))
            end = min(start + 1999, int(query.get("end", "2000")), max(len(rows), start))
            page = {"start": start, "end": min(end, len(rows)), "total": len(rows),
                    "row": [row_json(table, line) for line in rows[start - 1:min(end, len(rows))]]}
            if end < len(rows):
                size = end - start + 1
                page["next"] = (f"https://api-v2.onetcenter.org/database/rows/{table}?filter={filt}"
                                f"&start={end + 1}&end={end + size}")
            return self.reply(200, page)
        return self.reply(404, {"error": f"not found: {url.path}"})


def main():
    load(sys.argv[2])
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1], "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A loopback stand-in for canada.ca for scripts/make-upgrade-fixture.sh, like
Tests/JobForgeTestSupport/FakeCanadaSite.swift: the real captured TBS pages at their real paths,
a French variant built from the English page (French headers, S.o. for N/A, lang="fr", rows in
reverse order), robots.txt, ETag / Last-Modified with 304, and 404 for every other document.

To keep a store small, the pages can be served with whole records removed (nothing else changed):
--table-rows N keeps the first N body rows of the table (the scraper wants at least 150), and
--definition-groups M keeps the first M group blocks (<details>) of the definitions page, so that
the links to the other groups' definitions are reported as missing fragments.

Listens on 127.0.0.1 only, on a free port written to the file given as the first argument.
usage: canada_fake.py PORT_FILE TBS_PAGES_FOLDER [--table-rows N] [--definition-groups M]
"""
import argparse
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TABLE_EN = "/en/treasury-board-secretariat/services/collective-agreements/occupational-groups.html"
TABLE_FR = "/fr/secretariat-conseil-tresor/services/conventions-collectives/groupes-professionnels.html"
DEFINITIONS_EN = "/en/treasury-board-secretariat/services/collective-agreements/occupational-groups/definitions.html"
ROBOTS = "User-agent: *\nDisallow: /en/search\nDisallow: /fr/rechercher\n"
LAST_MODIFIED = "Fri, 09 Jan 2026 12:00:00 GMT"


def french_variant(english: bytes) -> bytes:
    text = english.decode("utf-8")
    headers = [
        ("Group abbreviation", "Abréviation de groupe"),
        ("Occupational Group (post 1999)", "Groupe professionnel (après 1999)"),
        ("Job evaluation standard", "Norme d’évaluation des emplois"),
        ("Qualification standard", "Norme de qualification"),
        ("Bargaining update", "Mise à jour sur les négociations"),
        ("Collective agreement", "Convention collective"),
        ("Rates of pay for represented employees", "Taux de rémunération des employés représentés"),
        ("Rates of pay for unrepresented/senior excluded employees",
         "Taux de rémunération des employés non représentés et exclus de niveau supérieur"),
        ("Definition", "Définition"),
        ("Subgroup", "Sous-groupe"),
        ("Group", "Groupe"),
    ]
    for en, fr in headers:
        text = text.replace(f'scope="col">{en}</th>', f'scope="col">{fr}</th>')
    text = text.replace('title="Not Applicable">N/A</abbr>', 'title="Sans objet">S.o.</abbr>')
    text = text.replace('<html class="no-js" dir="ltr" lang="en"', '<html class="no-js" dir="ltr" lang="fr"')
    open_at = text.find("<tbody>")
    if open_at >= 0:
        start = open_at + len("<tbody>")
        close_at = text.find("</tbody>", start)
        body = text[start:close_at]
        rows = ["<tr>" + part for part in body.split("<tr>")[1:]]
        text = text[:start] + "\n" + "".join(reversed(rows)) + text[close_at:]
    return text.encode("utf-8")


def keep_table_rows(page: bytes, count: int) -> bytes:
    text = page.decode("utf-8")
    start = text.find("<tbody>") + len("<tbody>")
    end = text.find("</tbody>", start)
    parts = text[start:end].split("<tr>")
    return (text[:start] + "<tr>".join(parts[:count + 1]) + text[end:]).encode("utf-8")


def keep_definition_groups(page: bytes, count: int) -> bytes:
    text = page.decode("utf-8")
    blocks = text.split("<details")
    last = blocks[-1]
    # The blocks follow one another inside div#def-elements; the last one ends at </details>.
    tail = last[last.rfind("</details>") + len("</details>"):]
    kept = blocks[:count + 1]
    kept[-1] = kept[-1][:kept[-1].rfind("</details>") + len("</details>")] if count < len(blocks) - 1 else kept[-1]
    return ("<details".join(kept) + (tail if count < len(blocks) - 1 else "")).encode("utf-8")


def etag(data: bytes) -> str:
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return '"%x"' % h


PAGES = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("canada-fake: " + (fmt % args) + "\n")

    def reply(self, status, body=b"", content_type="text/html", headers=None):
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if status != 304 and self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == "/robots.txt":
            return self.reply(200, ROBOTS.encode(), "text/plain")
        page = PAGES.get(path)
        if page is None:
            return self.reply(404, b"<html><body>Not found</body></html>")
        tag = etag(page)
        headers = {"ETag": tag, "Last-Modified": LAST_MODIFIED}
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        if (inm == tag) if inm is not None else (ims is not None and ims == LAST_MODIFIED):
            return self.reply(304, headers=headers)
        self.reply(200, page, "text/html; charset=utf-8", headers)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port_file")
    parser.add_argument("folder")
    parser.add_argument("--table-rows", type=int)
    parser.add_argument("--definition-groups", type=int)
    args = parser.parse_args()
    english = open(os.path.join(args.folder, "occupational-groups_en.html"), "rb").read()
    definitions = open(os.path.join(args.folder, "definitions_en.html"), "rb").read()
    if args.table_rows is not None:
        english = keep_table_rows(english, args.table_rows)
    if args.definition_groups is not None:
        definitions = keep_definition_groups(definitions, args.definition_groups)
    PAGES[TABLE_EN] = english
    PAGES[TABLE_FR] = french_variant(english)
    PAGES[DEFINITIONS_EN] = definitions
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file, "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()

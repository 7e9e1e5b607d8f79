#!/usr/bin/python3
"""openapi_check.py OPENAPI.json RECORDS.jsonl [--coverage]: holds replies
the gateway really gave (one JSON object a line: method, path, status,
content_type, body; tests/integration/lib.sh writes them with
OPENAPI_RECORD) against the contract as built. For each reply:

  - its path and method are a documented operation, and its status is one
    that operation lists; a documented path asked with a method it does
    not document must be 405, an undocumented path 404, both in the error
    shape;
  - its content type is one the response documents, and a JSON body is
    valid against that response's schema (JSON Schema 2020-12, as OpenAPI
    3.1 says, "$ref"s resolved in the document).

--coverage also fails unless every operation has at least one success
(2xx) and one error among the replies. Prints one line per failure;
exits 1 if there was any.

Run by Debian's /usr/bin/python3 with Debian's python3-jsonschema (make
deps installs it), never whatever python3 comes first on PATH: the
validator must be the one a fresh machine has.
"""
import json
import re
import sys

import jsonschema

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def template_re(template):
    # A path parameter is one whole, non-empty segment.
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p)
        for p in parts) + "$")


def deref(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError("non-local reference " + ref)
        node = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def media_type(ctype):
    return ctype.split(";")[0].strip().lower()


class Checker:
    def __init__(self, doc):
        self.doc = doc
        self.resolver = jsonschema.RefResolver.from_schema(doc)
        self.paths = [(t, template_re(t), item) for t, item in doc["paths"].items()]
        self.failures = []
        self.seen = {}      # (METHOD, template) -> set of "ok" / "error"

    def fail(self, rec, why):
        self.failures.append("%s %s -> %s: %s" % (rec["method"], rec["path"],
            rec["status"], why))

    def validate(self, rec, schema, instance, what):
        v = jsonschema.Draft202012Validator(schema, resolver=self.resolver,
            format_checker=jsonschema.FormatChecker())
        for e in sorted(v.iter_errors(instance), key=lambda e: list(e.path)):
            self.fail(rec, "%s at /%s: %s" % (what,
                "/".join(str(p) for p in e.absolute_path), e.message[:300]))

    def error_shape(self, rec):
        try:
            body = json.loads(rec["body"])
        except ValueError:
            return self.fail(rec, "body is not JSON")
        self.validate(rec, {"$ref": "#/components/schemas/Error"}, body, "error body")

    def check(self, rec):
        path = rec["path"].split("?", 1)[0]
        method = rec["method"].lower()
        # Literal segments beat parameters (none overlap today; be exact).
        matches = sorted((t for t in self.paths if t[1].match(path)),
            key=lambda t: t[0].count("{"))
        if not matches:
            if rec["status"] != 404:
                self.fail(rec, "undocumented path answered other than 404")
            return self.error_shape(rec)
        template, _, item = matches[0]
        if method not in item or method not in METHODS:
            if rec["status"] != 405:
                self.fail(rec, "undocumented method on %s answered other than 405" % template)
            return self.error_shape(rec)
        op = item[method]
        key = (method.upper(), template)
        self.seen.setdefault(key, set()).add("ok" if 200 <= rec["status"] < 300 else "error")
        responses = op.get("responses", {})
        resp = responses.get(str(rec["status"]))
        if resp is None:
            resp = responses.get("%dXX" % (rec["status"] // 100))
        if resp is None:
            return self.fail(rec, "status not listed for %s %s (lists %s)" % (
                method.upper(), template, ", ".join(sorted(responses))))
        resp = deref(self.doc, resp)
        content = resp.get("content")
        if not content:
            if rec["body"]:
                self.fail(rec, "a body, but the response documents none")
            return
        mt = media_type(rec["content_type"])
        documented = {media_type(k): v for k, v in content.items()}
        if mt not in documented:
            return self.fail(rec, "content type %r not documented (%s)" % (
                rec["content_type"], ", ".join(sorted(content))))
        schema = documented[mt].get("schema")
        if mt == "application/json" or mt.endswith("+json"):
            try:
                body = json.loads(rec["body"])
            except ValueError:
                return self.fail(rec, "body is not JSON")
            if schema is not None:
                self.validate(rec, schema, body, "body")

    def coverage(self):
        for t, _, item in self.paths:
            for m in item:
                if m not in METHODS:
                    continue
                got = self.seen.get((m.upper(), t), set())
                for kind in ("ok", "error"):
                    if kind not in got:
                        self.failures.append("%s %s: no %s reply recorded" % (
                            m.upper(), t, "success" if kind == "ok" else "error"))


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        doc = json.load(f)
    c = Checker(doc)
    n = 0
    with open(argv[2]) as f:
        for line in f:
            if line.strip():
                c.check(json.loads(line))
                n += 1
    if "--coverage" in argv[3:]:
        c.coverage()
    for why in c.failures:
        print(why)
    print("%d replies checked, %d failures" % (n, len(c.failures)), file=sys.stderr)
    return 1 if c.failures or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

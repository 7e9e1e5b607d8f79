#!/usr/bin/env python3
"""hostile.py HOST PORT CERTS N SEED: N hostile requests to a running gateway.

Valid requests to every kind of route, each made by a caller of the right
role, mutated at random (from SEED, so a failure repeats): bytes flipped,
inserted and deleted, JSON tokens and odd UTF-8 dropped in, values swapped
for huge numbers, nesting or long strings, paths and queries mangled, the
Content-Type changed or left out. Personal values carry the marker
MARK, so that an echo of one is seen.

Every reply must be the contract's: JSON with a 2xx status, or the error
shape {"error":{"code","message","details"}} with a 4xx or 503 status;
never a 500, a stack trace, a source file name, or the marker (not even in
a field path of "details": an unknown member is named by position). Prints one line per failure (at most 20) and a
summary; exits 1 if anything failed.
"""
import http.client
import json
import random
import re
import ssl
import sys

MARK = "ZqxjMark"
ALLOWED = {200, 201, 202, 400, 401, 403, 404, 405, 409, 411, 413, 415, 422, 429, 431, 503}
CODE = re.compile(r"^[a-z][a-z0-9_]*$")

SEEDS = [
    ("staff", "POST", "/v1/consents",
     {"family_id": MARK + "-F1", "agency_id": "oakfield-primary", "purpose": "education_support",
      "evidence": "Consent form signed by " + MARK}),
    ("staff", "POST", "/v1/disclosures",
     {"family_id": MARK + "-F1", "agency_id": "oakfield-primary", "purpose": "education_support",
      "reason": "Attendance support for " + MARK,
      "data": {"child_name": MARK + " Child", "child_dob": "2017-05-04",
               "parent_names": [MARK + " Parent"], "school_name": "Oakfield Primary",
               "attendance_concerns": "Mondays " + MARK, "phone": "07700 900123"}}),
    ("safeguarding_lead", "POST", "/v1/disclosures",
     {"family_id": MARK + "-F2", "agency_id": "childrens-social-care",
      "purpose": "child_protection", "reason": "Section 47 enquiry about " + MARK,
      "data": {"child_name": MARK + " Two"},
      "override": {"basis": "child_at_risk", "reason": "Telling " + MARK + " may harm",
                   "review_by": "2030-01-01"}}),
    ("agency:police", "POST", "/v1/requests",
     {"legal_basis": "crime_prevention", "reference": "OP-" + MARK, "family_id": MARK + "-F1",
      "fields": ["child_name"], "period": {"from": "2026-01-01", "to": "2026-06-30"},
      "reason": "Investigation of " + MARK}),
    ("staff", "POST", "/v1/breaches",
     {"occurred_at": "2026-11-01T10:00:00Z", "aware_at": "2026-11-02T10:00:00Z",
      "types": ["confidentiality"], "categories": ["contact"], "special_category": False,
      "approx_people": 1, "approx_records": 1, "description": "Email to " + MARK,
      "consequences": "None known", "measures": "Recalled"}),
    ("staff", "POST", "/v1/consents/con_01m91aktm996f4fp9n2vgd19jb/withdraw",
     {"reason": "Withdrawn by " + MARK}),
    ("trustee1", "POST", "/v1/requests/req_01m91c126t6v1egnea8pd2p6yk/decisions",
     {"decision": "approve", "reason": "Proportionate; " + MARK}),
    ("staff", "GET", "/v1/families/" + MARK + "-F1/subject-access", None),
    ("staff", "GET", "/v1/disclosures/dsc_01m91aktm996f4fp9n2vgd19jb", None),
    ("trustee1", "GET", "/v1/stats?from=2026-01-01&to=2026-12-31", None),
    ("staff", "GET", "/v1/ledger/entries?from=1&to=5", None),
    ("staff", "GET", "/v1/ledger/proof/1?tree_size=2", None),
    ("staff", "GET", "/v1/ledger/consistency?first=1&second=2", None),
    ("agency:oakfield-primary", "GET", "/v1/inbox", None),
]

TOKENS = ['"', "\\", "\\u0000", "\\ud800", "{", "}", "[", "]", ":", ",", "null", "-0",
          "1e999", "99999999999999999999999", "\x00", "\xff", "\u2028", "\ud83d\ude00",
          "%00", "%2f", "/..", "//", "?", "&", "=", "#", "\r\n", "\t"]


def certs(certdir, who):
    if who.startswith("agency:"):
        base = "%s/agencies/%s" % (certdir, who[7:])
    else:
        base = "%s/%s" % (certdir, who)
    return base + ".crt", base + ".key"


class Client:
    def __init__(self, host, port, certdir):
        self.host, self.port, self.certdir = host, port, certdir
        self.conns = {}

    def conn(self, who):
        c = self.conns.get(who)
        if c is None:
            ctx = ssl.create_default_context(cafile=self.certdir + "/ca.crt")
            ctx.load_cert_chain(*certs(self.certdir, who))
            c = http.client.HTTPSConnection(self.host, self.port, context=ctx, timeout=20)
            self.conns[who] = c
        return c

    def send(self, who, method, path, body, headers):
        for attempt in (1, 2):
            c = self.conn(who)
            try:
                c.request(method, path, body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    c.close()
                    self.conns.pop(who, None)
                return r.status, r.getheader("Content-Type", ""), data
            except (http.client.HTTPException, OSError):
                c.close()
                self.conns.pop(who, None)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def mutate_bytes(rng, b):
    b = bytearray(b)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        off = rng.randint(0, len(b))
        if op == 0 and b:
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[off:off] = rng.choice(TOKENS).encode("utf-8", "surrogatepass")
        elif op == 2:
            del b[off:off + rng.randint(1, 16)]
        elif op == 3:
            b[off:off] = b[off:off + rng.randint(1, 64)]
        elif op == 4:
            del b[off:]
        elif op == 5 and b:
            b[rng.randrange(len(b))] = rng.randrange(256)
        else:
            b[off:off] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(b)


def mutate_value(rng, v, depth=0):
    """A structurally valid JSON document with odd values."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            r = rng.random()
            if r < 0.1:
                continue                        # member left out
            out[k] = mutate_value(rng, x, depth + 1) if r < 0.5 else x
        if rng.random() < 0.1:
            out[MARK + "_extra"] = MARK
        return out
    if isinstance(v, list):
        return [mutate_value(rng, x, depth + 1) for x in v] * rng.choice([0, 1, 1, 2])
    return rng.choice([
        None, True, 0, -1, 2 ** 63, -(2 ** 63) - 1, 1e308, 0.5, "", " ", MARK * 2000,
        MARK + "\u0000x", MARK + "\ud83d\ude00", "2026-02-30", "x" * 65, [], {},
        {"a": [[[[[[[[[[MARK]]]]]]]]]]}, v,
    ])


def mutate_path(rng, path):
    if rng.random() < 0.5:
        return path
    p = mutate_bytes(rng, path.encode()).decode("latin-1")
    p = "".join(ch if 0x21 <= ord(ch) < 0x7f else "%%%02X" % ord(ch) for ch in p)
    return p if p.startswith("/") else "/" + p


def check(status, ctype, data, failures, what):
    def fail(msg):
        failures.append("%s: %s (%d %s)" % (what, msg, status, data[:200]))

    if status not in ALLOWED:
        return fail("status not in the contract")
    if status >= 500 and status != 503:
        return fail("server error")
    if ctype.startswith("text/plain"):
        return                                   # checkpoint, metrics, keys
    if status == 431 and ctype.startswith("text/html"):
        return                                   # libmicrohttpd's own (README)
    try:
        doc = json.loads(data)
    except ValueError:
        return fail("reply is not JSON")
    text = data.decode("utf-8", "replace")
    if re.search(r"\.c:\d|Traceback|stack", text):
        return fail("internals in the reply")
    if status >= 400:
        err = doc.get("error") if isinstance(doc, dict) else None
        if not isinstance(err, dict) or not isinstance(err.get("message"), str) or \
                not isinstance(err.get("code"), str) or not CODE.match(err["code"]) or \
                "details" not in err:
            return fail("not the error shape")
        # The marker may not appear anywhere, field paths of "details"
        # included: a path holds only the schema's own names and array
        # indexes (an unknown member, such as MARK_extra or a value's text
        # made a key by a mutation, is named by its position instead).
        if MARK.lower() in json.dumps(err).lower() or MARK.lower() in text.lower():
            return fail("a personal value echoed")


def main():
    host, port, certdir, n, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
        int(sys.argv[4]), int(sys.argv[5])
    rng = random.Random(seed)
    client = Client(host, port, certdir)
    failures, statuses = [], {}
    for i in range(n):
        who, method, path, body = rng.choice(SEEDS)
        headers = {"X-Access-Reason": "Case review " + MARK}
        raw = None
        if body is not None:
            r = rng.random()
            if r < 0.45:
                raw = mutate_bytes(rng, json.dumps(body).encode())
            elif r < 0.9:
                raw = json.dumps(mutate_value(rng, body)).encode()
            else:
                raw = json.dumps(body).encode()
            headers["Content-Type"] = rng.choice(
                ["application/json"] * 8 + ["text/plain", "application/json; charset=latin1",
                                            "application/x-www-form-urlencoded", ""])
            if headers["Content-Type"] == "":
                del headers["Content-Type"]
        path = mutate_path(rng, path)
        what = "#%d %s %s %s" % (i, who, method, path[:80])
        try:
            status, ctype, data = client.send(who, method, path, raw, headers)
        except (http.client.HTTPException, OSError) as e:
            failures.append("%s: no reply (%s)" % (what, e))
            continue
        statuses[status] = statuses.get(status, 0) + 1
        check(status, ctype, data, failures, what)
    for f in failures[:20]:
        print("# " + f)
    print("# %d requests, statuses %s, %d failures" %
          (n, json.dumps(dict(sorted(statuses.items()))), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

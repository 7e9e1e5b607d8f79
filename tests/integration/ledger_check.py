#!/usr/bin/env python3
"""An independent check of the gateway's ledger, using only Python's standard
library (hashlib, struct, base64, json): none of the gateway's code.

  ledger_check.py inclusion ENTRIES.json PROOF.json CHECKPOINT.txt
      ENTRIES.json is GET /v1/ledger/entries, PROOF.json GET /v1/ledger/proof/{seq}.
      Recomputes the entry's leaf from its fields (the canonical encoding of the
      README's ledger section), verifies the inclusion proof (RFC 9162 2.1.3.2)
      against the root in the checkpoint's signed text, and recomputes that root
      from all the leaves (RFC 6962 MTH) as a second, naive check.
  ledger_check.py consistency PROOF.json OLD_CHECKPOINT.txt NEW_CHECKPOINT.txt
      PROOF.json is GET /v1/ledger/consistency; verifies it (RFC 9162 2.1.4.2)
      between the roots of the two checkpoint texts.
Prints "ok ..." and exits 0, or prints why and exits 1.
"""
import base64
import hashlib
import json
import struct
import sys


def h(b):
    return hashlib.sha256(b).digest()


def leaf_data(e):
    def s(x):
        b = x.encode("utf-8")
        return struct.pack(">I", len(b)) + b

    def opt(x):
        return b"\x00" if x is None else b"\x01" + s(x)

    d = e["record_digest"]
    return (b"ledger-entry-v1\x00" + struct.pack(">QQ", e["seq"], e["time_us"])
            + s(e["actor"]) + s(e["actor_role"]) + s(e["action"])
            + opt(e["family_pseudonym"]) + opt(e["object_id"]) + opt(e["reason"])
            + (b"\x00" if d is None else b"\x01" + bytes.fromhex(d)))


def leaf_hash(e):
    return h(b"\x00" + leaf_data(e))


def node(l, r):
    return h(b"\x01" + l + r)


def mth(leaves):
    n = len(leaves)
    if n == 0:
        return h(b"")
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def verify_inclusion(index, size, leaf, proof, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(size1, size2, root1, root2, proof):
    if size1 > size2:
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if size1 == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == root1 and sr == root2 and sn == 0


def checkpoint(path):
    text = open(path, encoding="utf-8").read()
    body = text[: text.rindex("\n\n") + 1]
    origin, size, root = body.split("\n")[:3]
    return origin, int(size), base64.b64decode(root, validate=True)


def fail(msg):
    print("not verified: " + msg)
    sys.exit(1)


def inclusion(entries_path, proof_path, cp_path):
    entries = json.load(open(entries_path))["entries"]
    p = json.load(open(proof_path))
    _, size, root = checkpoint(cp_path)
    if p["tree_size"] != size:
        fail("proof is for tree size %d, checkpoint is %d" % (p["tree_size"], size))
    by_seq = {e["seq"]: e for e in entries}
    e = by_seq.get(p["seq"])
    if e is None:
        fail("entry %d not in the entries given" % p["seq"])
    lh = leaf_hash(e)
    if lh.hex() != e["leaf_hash"] or lh.hex() != p["leaf_hash"]:
        fail("leaf recomputed from the entry's fields differs")
    if p["leaf_index"] != p["seq"] - 1:
        fail("leaf index is not seq - 1")
    proof = [bytes.fromhex(x) for x in p["proof"]]
    if not verify_inclusion(p["leaf_index"], size, lh, proof, root):
        fail("inclusion proof does not lead to the signed root")
    if p["root"] != root.hex():
        fail("reply's root differs from the checkpoint's")
    # Second, naive check when every leaf of the tree is at hand.
    if all(s in by_seq for s in range(1, size + 1)):
        if mth([leaf_hash(by_seq[s]) for s in range(1, size + 1)]) != root:
            fail("the root recomputed from all entries differs")
    print("ok seq %d in tree size %d" % (p["seq"], size))


def consistency(proof_path, old_path, new_path):
    p = json.load(open(proof_path))
    _, s1, r1 = checkpoint(old_path)
    _, s2, r2 = checkpoint(new_path)
    if (p["first"], p["second"]) != (s1, s2):
        fail("proof sizes differ from the checkpoints'")
    if not verify_consistency(s1, s2, r1, r2, [bytes.fromhex(x) for x in p["proof"]]):
        fail("consistency proof does not join the two signed roots")
    print("ok tree size %d extends %d" % (s2, s1))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "inclusion":
        inclusion(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "consistency":
        consistency(*sys.argv[2:])
    else:
        print(__doc__)
        sys.exit(2)

#!/usr/bin/env python3
"""hold_bodies.py PORT CERTS N LENGTH DIR [SENT]: N mutual-TLS connections
to a gateway on 127.0.0.1:PORT as staff, each sending a POST's headers with
Content-Length: LENGTH and SENT bytes of its body (0 if not given), never
the rest, so that each holds what the gateway keeps of it against its
budget for request bodies (http.c body_reserve).
Writes DIR/held: how many were not answered at once (those the gateway
took), then holds them until DIR/release exists (or 60 s), and closes them.
"""
import os, select, socket, ssl, sys, time
port, certs, n, length, d = (int(sys.argv[1]), sys.argv[2], int(sys.argv[3]),
                             int(sys.argv[4]), sys.argv[5])
sent = int(sys.argv[6]) if len(sys.argv) > 6 else 0
ctx = ssl.create_default_context(cafile=certs + "/ca.crt")
ctx.load_cert_chain(certs + "/staff.crt", certs + "/staff.key")
ctx.check_hostname = False
conns = []
for _ in range(n):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
    s.sendall(b"POST /v1/consents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % length)
    if sent > 0:
        s.sendall(b" " * sent)
    conns.append(s)
# Each reply, if any, comes at once (the headers are all the gateway waits
# for): one that says nothing within a second is holding its share.
time.sleep(1.0)
held = 0
for s in conns:
    r, _, _ = select.select([s], [], [], 0)
    if not r and s.pending() == 0:
        held += 1
with open(d + "/held.tmp", "w") as f:
    f.write("%d\n" % held)
os.rename(d + "/held.tmp", d + "/held")
end = time.time() + 60
while time.time() < end and not os.path.exists(d + "/release"):
    time.sleep(0.05)
for s in conns:
    s.close()

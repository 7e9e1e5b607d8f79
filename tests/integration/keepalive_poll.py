#!/usr/bin/env python3
"""keepalive_poll.py PORT CACERT CERT KEY SECONDS [PATH]: GET PATH (default
/healthz) every half second on ONE keep-alive mutual-TLS connection, until a reply is not 200 or
SECONDS have passed. Prints one line per reply: status, the connection's
local port (the same port throughout means the same connection), Unix time,
the body. Never reconnects: a closed connection ends the run."""
import http.client
import ssl
import sys
import time

port, cacert, cert, key, secs = sys.argv[1:6]
path = sys.argv[6] if len(sys.argv) > 6 else "/healthz"
ctx = ssl.create_default_context(cafile=cacert)
ctx.load_cert_chain(cert, key)
conn = http.client.HTTPSConnection("127.0.0.1", int(port), context=ctx, timeout=10)
conn.auto_open = 0      # a dropped connection is an error, not a new one
conn.connect()
local = conn.sock.getsockname()[1]
deadline = time.time() + float(secs)
while True:
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read().decode("utf-8", "replace")
    print(r.status, local, int(time.time()), " ".join(body.split()), flush=True)
    if r.status != 200 or time.time() > deadline:
        break
    time.sleep(0.5)

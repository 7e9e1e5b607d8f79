#!/usr/bin/env python3
"""raw_tls.py PORT CERTS: stdin's bytes to a gateway on 127.0.0.1:PORT as
staff (CERTS/staff.crt), over one mutual-TLS connection, unparsed (for
requests curl will not make: a length given twice, chunks beside a length);
then every byte it answers until it closes (or 20 s), on stdout. With
STREAM_SECS in the environment, 64 KiB chunks of a chunked body follow for
up to that long, and "sent N cut" says how many bytes went before the
gateway closed the connection ("sent N open": it never did).
"""
import os, socket, ssl, sys, time
port, certs = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=certs + "/ca.crt")
ctx.load_cert_chain(certs + "/staff.crt", certs + "/staff.key")
ctx.check_hostname = False
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
s.sendall(sys.stdin.buffer.read())
secs, sent = float(os.environ.get("STREAM_SECS", "0")), 0
end = time.time() + secs
chunk = b"a" * 65536
cut = False
s.settimeout(secs + 5 if secs else None)
try:
    while time.time() < end:
        s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        sent += len(chunk)
except OSError:
    cut = True
if secs:
    print("sent", sent, "cut" if cut else "open")
# Until it closes, or 20 s: no shorter wait for each read, which a loaded
# machine (an ASan build) could outlast before the first byte of a reply.
out, s_end = b"", time.time() + 20
while time.time() < s_end:
    s.settimeout(max(0.1, s_end - time.time()))
    try:
        d = s.recv(65536)
    except (socket.timeout, OSError):
        break
    if not d:
        break
    out += d
sys.stdout.write(out.decode("latin-1"))

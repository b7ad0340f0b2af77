"""N GET / requests over C keep-alive connections (round robin, one in
flight per connection), for callgrind_worker.sh. Loopback only.
Usage: keepalive_client.py PORT N C TIMEOUT"""
import socket
import sys
import time

port, n, c, timeout = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
deadline = time.monotonic() + timeout
req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def connect():
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=timeout)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


socks = [connect() for _ in range(c)]
bufs = [b""] * c
done = 0
while done < n:
    batch = min(c, n - done)
    for s in socks[:batch]:
        s.sendall(req)
    for i, s in enumerate(socks[:batch]):
        while True:
            end = bufs[i].find(b"\r\n\r\n")
            if end >= 0:
                head = bufs[i][:end].lower()
                at = head.find(b"content-length:")
                length = int(head[at + 15:].split(b"\r\n", 1)[0])
                if len(bufs[i]) >= end + 4 + length:
                    bufs[i] = bufs[i][end + 4 + length:]
                    break
            data = s.recv(65536)
            if not data:
                raise SystemExit("server closed a connection")
            bufs[i] += data
    done += batch
print("%d requests" % done)

"""A NOTIFY_SOCKET the test listens on, as systemd's: datagrams in order,
each with the sender's pid (SO_PASSCRED)."""
import array
import socket
import struct
import time


class NotifySocket:
    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(path)
        self.seen = []  # (pid, text) in arrival order

    def next(self, timeout=15):
        """The next datagram as (sender pid, text); raises socket.timeout."""
        self.sock.settimeout(timeout)
        data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = 0
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", payload[:12])[0]
        item = (pid, data.decode())
        self.seen.append(item)
        return item

    def until(self, predicate, timeout=20):
        """Read until predicate(text) holds; returns (pid, text) of that datagram.
        WATCHDOG=1 pings are kept in `seen` but never match unless asked for."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no matching datagram; seen: %r" % self.seen)
            pid, text = self.next(left)
            if predicate(text):
                return pid, text

    def texts(self, skip_watchdog=True):
        return [t for _, t in self.seen if not (skip_watchdog and t == "WATCHDOG=1")]

    def close(self):
        self.sock.close()

# The Python half of bridge-resets.test.ts, run inside the sandbox: one GET through srt's proxy
# (VIA: connect = a CONNECT tunnel through HTTPS_PROXY, socks = SOCKS5 through ALL_PROXY, plain =
# absolute-form through HTTP_PROXY), read to the end. Prints `how=reset` (ConnectionResetError),
# `how=end` (a clean end of the stream) or `how=error <name>`. Bounded by a socket timeout.
#
#   python3 reset-client.py VIA HOST PORT
import os
import socket
import sys
from urllib.parse import urlsplit

via, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
proxy = urlsplit(os.environ[{"connect": "HTTPS_PROXY", "socks": "ALL_PROXY", "plain": "HTTP_PROXY"}[via]])
s = socket.create_connection((proxy.hostname, proxy.port), timeout=20)


def read_until(marker):
    got = b""
    while marker not in got:
        chunk = s.recv(4096)
        if not chunk:
            raise EOFError("the proxy closed during the handshake")
        got += chunk
    return got


target = f"/"
if via == "connect":
    s.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    read_until(b"\r\n\r\n")
elif via == "socks":
    s.sendall(b"\x05\x01\x00")
    s.recv(2)
    s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton(host) + port.to_bytes(2, "big"))
    s.recv(10)
else:
    target = f"http://{host}:{port}/"
s.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
try:
    while s.recv(65536):
        pass
    print("how=end")
except ConnectionResetError:
    print("how=reset")
except OSError as e:
    print(f"how=error {type(e).__name__}")

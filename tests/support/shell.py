"""Shell scripts whose `puente` runs in this process.

The guides' examples are shell commands, with pipes, ``$(…)`` and variables. Run as written
by bash, each `puente` in them would start an interpreter and import the package again
(1-3 s apiece). Here bash runs the script as it is, but `puente` is a shell function that
hands its arguments, environment and working directory to this process, which runs the same
command line through Typer's runner and hands back its output and exit status.
"""

from __future__ import annotations

import os
import socketserver
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from typer.testing import CliRunner

from puente.cli.main import app

END = b"\0__END__\0"

# bash's /dev/tcp carries the request; the reply is the exit status, the output is in files.
FUNCTION = r"""
puente() {
  local out; out=$(mktemp -d) || return 99
  exec 3<>"/dev/tcp/127.0.0.1/$__PUENTE_PORT" || return 99
  { printf '%s\0' "$out" "$PWD" "$#" "$@"; env -0; printf '__END__\0'; } >&3
  local status; read -r status <&3
  exec 3<&-
  cat "$out/stdout"; cat "$out/stderr" >&2; rm -r "$out"
  return "$status"
}
"""


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        request = b""
        while not request.endswith(END):
            chunk = self.request.recv(65536)
            if not chunk:
                return
            request += chunk
        fields = [f.decode() for f in request[: -len(END)].split(b"\0")]
        out, cwd, count = Path(fields[0]), fields[1], int(fields[2])
        args = fields[3 : 3 + count]
        env = dict(entry.split("=", 1) for entry in fields[3 + count :] if "=" in entry)
        status = _run(args, env, cwd, out)
        self.wfile.write(f"{status}\n".encode())


def _run(args: list[str], env: dict[str, str], cwd: str, out: Path) -> int:
    # The command sees bash's environment exactly: what bash does not have is unset.
    environment: dict[str, str | None] = {key: None for key in os.environ if key not in env}
    environment.update(env)
    here = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, args, env=environment)
    finally:
        os.chdir(here)
    stderr = result.stderr_bytes or b""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        exc = result.exception
        stderr += "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).encode()
    (out / "stdout").write_bytes(result.stdout_bytes)
    (out / "stderr").write_bytes(stderr)
    return result.exit_code


@contextmanager
def in_process_puente() -> Iterator[tuple[str, dict[str, str]]]:
    """The shell function to put before a script, and what its environment must add."""
    server = socketserver.TCPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FUNCTION, {"__PUENTE_PORT": str(server.server_address[1])}
    finally:
        server.shutdown()
        server.server_close()

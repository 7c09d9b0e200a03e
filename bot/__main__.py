"""Command line: `python -m bot run` starts the assistant (more commands join as it grows)."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from types import FrameType

from bot.stack import Stack, StartupError


def run() -> int:
    stack = Stack()
    stopping = False

    def _stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    s = stack.settings
    try:
        print("Starting the action server and the Rasa server (about a minute)...", flush=True)
        stack.start()
        stack.wait_ready()
        print(
            "\nThe assistant is ready.\n"
            f"  Chat (REST):  curl -s -XPOST {s.rasa_url}/webhooks/rest/webhook "
            '-d \'{"sender":"me","message":"is there a placebo?"}\'\n'
            f"  Socket.io:    {s.rasa_url}/socket.io/\n"
            f"  Actions:      {s.action_url}/health\n"
            f"  Logs:         {s.log_dir}/\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        while not stopping:
            stack.check_alive()
            time.sleep(0.5)
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        stack.stop()
        return 1
    print("\nStopping...", flush=True)
    stack.stop()
    print("Stopped.", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the Rasa server and the action server")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run()
    return 2


if __name__ == "__main__":
    sys.exit(main())

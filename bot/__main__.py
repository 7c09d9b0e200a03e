"""Command line: `python -m bot run` starts everything; `python -m bot staff add-user NAME`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from types import FrameType

from bot import envfile
from bot.stack import Stack, StartupError


def run() -> int:
    created = envfile.ensure()
    stack = Stack()
    stopping = False

    def _stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    s = stack.settings
    token_note = "token in .env"
    if "STAFF_API_TOKEN" in created:
        token_note = f"new token, kept in .env: {os.environ['STAFF_API_TOKEN']}"
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
            f"  Staff inbox:  {s.web_url}/staff/  (add a user: python -m bot staff add-user NAME)\n"
            f"  Staff API:    {s.web_url}/api/handoffs  (Authorization: Bearer $STAFF_API_TOKEN, "
            f"{token_note})\n"
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
    commands.add_parser("run", help="start the Rasa server, the action server and the web app")
    staff = commands.add_parser("staff", help="manage staff inbox users")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    add_user = staff_commands.add_parser("add-user", help="create a user (asks for a password)")
    add_user.add_argument("name")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run()
    if args.command == "staff":
        envfile.ensure()
        from bot.staff import main_add_user

        return main_add_user(args.name)
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""Command line: `python -m bot run` starts everything; `python -m bot staff add-user NAME`
(also set-password, reset-password, disable-user, enable-user, set-role, set-trials); `python -m bot
token add|revoke|list` (API tokens per integration); `python -m bot digest` (today's digest
of overdue records); `python -m bot purge --older-than 90d`
applies the retention limit; `python -m bot rotate-key` re-encrypts everything stored with the
newest key in HANDOFF_KEY; `python -m bot trial check trials/<id>` validates a trial folder;
`python -m bot trial script <folder>` writes the ethics board's review copy of every patient
message."""

from __future__ import annotations

import argparse
import sys

from bot.ops import envfile
from bot.ops.stack import Stack, StartupError, Supervisor, checked_settings, serve
from bot.store import private
from bot.trial.script import command as trial_script


def run() -> int:
    from bot.ops import production

    if production.is_production():  # ASSISTANT_PROFILE=production (`make run-prod`)
        return production.run()
    created = envfile.ensure()
    try:  # after .env: its values are the environment's too
        stack = Stack(checked_settings())
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 1
    s = stack.settings
    token_note = "token in .env"
    if "STAFF_API_TOKEN" in created:
        token_note = f"new token, kept in .env: {s.staff_api_token}"
    rasa_api = "off (set RASA_API_TOKEN to serve it behind that token)"
    if stack.rasa_api_args():
        rasa_api = f"{s.rasa_url}/conversations/ID/tracker?token=$RASA_API_TOKEN (token only)"
    banner = (
        "\nThe assistant is ready.\n"
        f"  Public page:  {s.web_url}/  (the trial's page with the chat widget)\n"
        f"  Chat (REST):  curl -s -XPOST {s.rasa_url}/webhooks/rest/webhook "
        '-d \'{"sender":"me","message":"is there a placebo?"}\'\n'
        f"  Socket.io:    {s.rasa_url}/socket.io/\n"
        f"  Actions:      {s.action_url}/health\n"
        f"  Staff inbox:  {s.web_url}/staff/  (add a user: python -m bot staff add-user NAME)\n"
        f"  Staff API:    {s.web_url}/api/handoffs  (Authorization: Bearer $STAFF_API_TOKEN, "
        f"{token_note})\n"
        f"  Rasa API:     {rasa_api}\n"
        f"  Logs:         {s.log_dir}/\n"
        "A service that crashes is started again; press Ctrl-C to stop."
    )
    starting = "Starting the web app, the action server and the Rasa server (about a minute)..."
    supervisor = Supervisor(stack)  # a crashed service is started again; the others go on

    def tick() -> None:
        for line in supervisor.tick():
            print(line, flush=True)

    return serve(stack, starting, lambda: banner, tick)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the Rasa server, the action server and the web app")
    staff = commands.add_parser("staff", help="manage staff inbox users")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    for name, what, takes_password in (
        ("add-user", "create a user (asks for a password; --role, default coordinator)", True),
        ("set-password", "change a user's password and end every session of theirs", True),
        ("reset-password", "the same as set-password", True),
        ("disable-user", "stop a user logging in and end every session of theirs", False),
        ("enable-user", "let a disabled user log in again", False),
        ("set-role", "give a user another role (--role) and end every session of theirs", False),
        ("set-trials", "the trials (NCT_ID or trial id) a user works on, and no others", False),
    ):
        command = staff_commands.add_parser(name, help=what)
        command.add_argument("name")
        if name in ("add-user", "set-role"):
            command.add_argument("--role", choices=("admin", "coordinator", "viewer"))
        if name == "set-trials":
            command.add_argument("trials", nargs="+", metavar="NCT_ID")
        if takes_password:
            command.add_argument(
                "--password-stdin",
                action="store_true",
                help="read the password from the first line of standard input (for scripts)",
            )
    token = commands.add_parser("token", help="API tokens, one per integration")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    for name, what in (
        ("add", "make a token for an integration (printed once)"),
        ("revoke", "revoke an integration's token"),
        ("list", "list the integrations that have a token"),
    ):
        command = token_commands.add_parser(name, help=what)
        if name != "list":
            command.add_argument("name")
        if name == "add":
            command.add_argument("--role", choices=("coordinator", "viewer"))
    commands.add_parser(
        "digest", help="make today's digest of overdue records now (the web app sends it)"
    )
    commands.add_parser(
        "reindex-search", help="rebuild the search index (after SEARCH_KEY changed)"
    )
    purge = commands.add_parser(
        "purge",
        help="delete handoffs and conversations older than a limit (see docs/operations.md)",
    )
    purge.add_argument("--older-than", required=True, metavar="AGE", help="e.g. 90d or 12h")
    commands.add_parser(
        "rotate-key",
        help="re-encrypt every stored record with the first key in HANDOFF_KEY "
        "(see docs/operations.md)",
    )
    trial = commands.add_parser("trial", help="trial folders (see README, 'How to add a trial')")
    trial_commands = trial.add_subparsers(dest="trial_command", required=True)
    check = trial_commands.add_parser(
        "check", help="validate a trial folder; names every problem by file and field"
    )
    check.add_argument("folder", help="e.g. trials/nct06857240")
    trial_script.add_parser(trial_commands)
    args = parser.parse_args(argv)
    private.restrict()  # files this command (and what it starts) creates: 0600, folders 0700
    if args.command == "rotate-key":
        envfile.ensure()
        from bot.store import rotation

        return rotation.main()
    if args.command == "purge":
        envfile.ensure()
        from bot.store import retention

        try:
            retention.parse_age(args.older_than)
        except ValueError as error:
            parser.error(str(error))
        return retention.main(args.older_than)
    if args.command == "run":
        return run()
    if args.command == "trial" and args.trial_command == "check":
        from bot.trial import check as trial_check

        return trial_check.main(args.folder)
    if args.command == "trial":
        return int(args.run(args))
    if args.command == "staff":
        envfile.ensure()
        from bot.staff.users import main as staff_main

        return staff_main(
            args.staff_command,
            args.name,
            getattr(args, "password_stdin", False),
            getattr(args, "role", None),
            getattr(args, "trials", None),
        )
    if args.command == "token":
        envfile.ensure()
        from bot.staff import tokens

        integration = getattr(args, "name", None)
        return tokens.main(args.token_command, integration, getattr(args, "role", None))
    if args.command == "digest":
        envfile.ensure()
        from bot.staff import digest

        return digest.main()
    if args.command == "reindex-search":
        envfile.ensure()
        from bot.store import search
        from bot.store.handoff import HandoffStore

        store = HandoffStore(channels=[])
        print(f"Indexed {search.reindex_all(store.engine)} records.")
        store.engine.dispose()
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""Staff accounts from the command line, for the operator's console: the first admin of a production
installation (which has no demo users), and a password for one sign-in when the last admin forgot theirs.
Everything else is the admins' work through the API (routes/staff.py).

    python -m gateway.app.staff_cli add zhangsan --role admin --name 张三     # asks for the password
    python -m gateway.app.staff_cli password zhangsan                          # for one sign-in
    python -m gateway.app.staff_cli list

The password is read from the terminal without echo (twice), or as one line from standard input when that
is not a terminal (a script, `docker compose run -T`). It never appears in the arguments, where `ps` and
the shell's history would show it.
"""
from __future__ import annotations

import argparse
import getpass
import sys

from services.common.db import Database
from services.common.migrate import migrate

from . import staff
from .auth import Role, User
from .main import MIGRATIONS
from .problems import Problem
from .settings import gateway_settings

# Who the audit trail names for a change made here.
CONSOLE = User("console", Role.ADMIN)


def read_password(prompt: str) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("again: ") != first:
        raise Problem(422, "password-mismatch", "the two passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.app.staff_cli", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="open an account with a password of your choosing")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--scope", help="a bank's code for a bank user, a station's for a technician or dispatcher")
    add.add_argument("--name", help="the person's name as colleagues know it")
    reset = commands.add_parser("password", help="set a password for one sign-in")
    reset.add_argument("username")
    commands.add_parser("list", help="every account")
    args = parser.parse_args(argv)

    settings = gateway_settings()
    migrate(settings, "gateway", MIGRATIONS)
    db = Database(settings.service_db_url("gateway"), schema="gateway", maxconn=1)
    try:
        if args.command == "add":
            row = staff.create_staff(db, CONSOLE, args.username, Role(args.role), args.scope, args.name,
                                     read_password("password: "), for_one_sign_in=False)
            print(f"{row['username']}: {row['role']}{' for ' + row['scope'] if row['scope'] else ''}, may sign in")
        elif args.command == "password":
            row = staff.set_password_for_one_sign_in(db, CONSOLE, args.username, read_password("password: "))
            print(f"{row['username']}: signs in once with it, then chooses their own")
        else:
            rows, _ = staff.list_staff(db, None, None, 0, 10_000)
            for r in rows:
                print(f"{r['username']:<24} {r['role']:<11} {r['scope'] or '':<8} "
                      f"{'active' if r['active'] else 'inactive':<8} {r['display_name'] or ''}")
    except Problem as problem:
        print(f"refused ({problem.reason}): {problem.detail}", file=sys.stderr)
        return 2
    finally:
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

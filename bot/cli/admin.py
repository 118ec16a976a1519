"""Staff and data commands: `admin add|add-web|invite`, `verify` (a certificate code), `backup` / `restore`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TextIO

from bot.cli.runtime import cmd_db_upgrade
from bot.config import Settings


async def verify_code(settings: Settings, code: str) -> tuple[bool, str]:
    """Check a certificate's verification code; the sentence to show and whether it is valid."""
    from bot import messages as msg
    from storage import repo, units
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        async with db.transaction() as s:
            c = await repo.completion_by_code(s, code)
    finally:
        await db.dispose()
    if c is None:
        return False, msg.VERIFY_BAD.format(code=code)
    commune = units.commune(c.ward_code) if c.ward_code is not None else None
    return True, msg.VERIFY_OK.format(code=c.code, name=c.display_name or msg.CERT_NAME_DEFAULT,
                                      programme=c.programme, date=c.completed_at.strftime("%d/%m/%Y"),
                                      place=f", {commune.label}" if commune else "")


def cmd_verify(settings: Settings, code: str, out: TextIO) -> int:
    ok, text = asyncio.run(verify_code(settings, code))
    out.write(text + "\n")
    return 0 if ok else 1


def _new_password(password_stdin: bool) -> str:
    """A password read from the first line of stdin, or typed twice at a hidden prompt."""
    import getpass

    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mật khẩu (ít nhất 10 ký tự): ")
    if getpass.getpass("Nhập lại mật khẩu: ") != first:
        raise ValueError("the two passwords differ")
    return first


async def admin_add(settings: Settings, channel: str, user: str, role: str, unit: str,
                    username: str | None = None, password: str | None = None) -> str:
    """Give a channel user a staff role over a unit (and optionally a web login); a one-line confirmation."""
    from bot.admin import auth
    from storage import roles
    from storage.db import Database
    from storage.units import Scope

    scope = Scope.parse(unit)
    db = Database(settings.database_url)
    try:
        async with db.transaction() as s:
            staff = await roles.grant(s, channel, user, role, scope)
            line = f"{channel}:{user} is now {staff.role} of {scope.name}"
            if username is not None:
                try:
                    await auth.set_credentials(s, staff, username, password or "", password or "")
                except auth.AuthError as exc:
                    raise ValueError(str(exc)) from None
                line += f"; web login: {staff.username}"
            return line
    finally:
        await db.dispose()


async def admin_add_web(settings: Settings, username: str, password: str, role: str, unit: str,
                        display_name: str | None = None) -> str:
    """Create (or update) a web-only staff account with a role over a unit; a one-line confirmation."""
    from bot.admin import auth
    from storage import roles
    from storage.db import Database
    from storage.models import Staff
    from storage.units import Scope

    scope = Scope.parse(unit)
    roles.check_role_unit(role, scope)
    name = auth.normalise_username(username)
    db = Database(settings.database_url)
    try:
        async with db.transaction() as s:
            staff = await roles.staff_by_username(s, name)
            verb = "updated"
            if staff is None:
                staff, verb = Staff(user_id=None, role=role, created_by="cli"), "created"
                s.add(staff)
            staff.role, staff.province_code, staff.ward_code = role, scope.province_code, scope.ward_code
            staff.active = True
            if display_name:
                staff.display_name = display_name
            await s.flush()
            try:
                await auth.set_credentials(s, staff, name, password, password)
            except auth.AuthError as exc:
                raise ValueError(str(exc)) from None
            await auth.audit(s, "staff_set", None, name, f"{role} {scope.code} by cli")
            return f"web account {name} {verb}: {role} of {scope.name}"
    finally:
        await db.dispose()


def cmd_admin(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """`admin add` (a chat user, optionally with a web login) and `admin add-web` (a web-only account)."""
    cmd_db_upgrade(settings)
    try:
        if args.admin_action == "add-web":
            line = asyncio.run(admin_add_web(settings, args.username, _new_password(args.password_stdin),
                                             args.role, args.unit, args.name))
        else:
            password = _new_password(args.password_stdin) if args.username else None
            line = asyncio.run(admin_add(settings, args.channel, args.user, args.role, args.unit, args.username,
                                         password))
    except ValueError as exc:
        out.write(f"{exc}\n")
        return 2
    out.write(line + "\n")
    return 0


async def admin_invite(settings: Settings, role: str, unit: str) -> str:
    """A one-time invitation code for a role over a unit (the first admins of a new instance)."""
    from storage import volunteers
    from storage.db import Database
    from storage.units import Scope

    scope = Scope.parse(unit)
    db = Database(settings.database_url)
    try:
        async with db.transaction() as s:
            code = await volunteers.create_invite(s, None, role, scope)
    finally:
        await db.dispose()
    return (f"invitation for {role} of {scope.name}: {code} (one use, {volunteers.INVITE_DAYS} days)\n"
            f"the person sends: /thamgia {code}")


def cmd_admin_invite(settings: Settings, role: str, unit: str, out: TextIO) -> int:
    cmd_db_upgrade(settings)
    try:
        out.write(asyncio.run(admin_invite(settings, role, unit)) + "\n")
    except ValueError as exc:
        out.write(f"{exc}\n")
        return 2
    return 0


def cmd_backup(settings: Settings, action: str, file: Path, force: bool, out: TextIO) -> int:
    """`kynangso backup FILE` / `kynangso restore FILE [--force]` for SQLite; PostgreSQL uses pg_dump."""
    from storage import backup

    try:
        if action == "backup":
            path = backup.backup(settings.database_url, file)
            out.write(f"backup written to {path}\n")
            return 0
        path = backup.restore(settings.database_url, file, force)
    except backup.BackupError as exc:
        out.write(f"{exc}\n")
        return 2
    cmd_db_upgrade(settings)  # a backup from an older version gets the newer schema
    out.write(f"restored {file} into {path}\n")
    return 0



def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    admin = sub.add_parser("admin", help="staff roles")
    admin_sub = admin.add_subparsers(dest="admin_action", required=True)
    add = admin_sub.add_parser("add", help="give a channel user a role over a unit")
    add.add_argument("--channel", required=True, choices=["telegram", "zalo", "console"])
    add.add_argument("--user", required=True, help="the channel's user id (Telegram chat id, Zalo user id)")
    add.add_argument("--role", required=True,
                     choices=["volunteer", "commune_admin", "province_admin", "national_admin"])
    add.add_argument("--unit", default="VN", help="VN, P<province code> or X<commune code>")
    add.add_argument("--username", default=None, help="also give a web admin login with this username")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin, not a prompt")
    web = admin_sub.add_parser("add-web", help="create a web-only admin account (no chat account)")
    web.add_argument("--username", required=True)
    web.add_argument("--role", required=True, choices=["commune_admin", "province_admin", "national_admin"])
    web.add_argument("--unit", default="VN", help="VN, P<province code> or X<commune code>")
    web.add_argument("--name", default=None, help="the name shown on the pages, e.g. \"Chị Lan, xã Hồng Bàng\"")
    web.add_argument("--password-stdin", action="store_true", help="read the password from stdin, not a prompt")
    for p in (add, web):
        p.set_defaults(handler=lambda settings, args: cmd_admin(settings, args, sys.stdout))
    invite = admin_sub.add_parser("invite", help="print a one-time invitation code for a role over a unit")
    invite.add_argument("--role", required=True, choices=["volunteer", "commune_admin", "province_admin"])
    invite.add_argument("--unit", required=True, help="P<province code> or X<commune code>")
    invite.set_defaults(handler=lambda settings, args: cmd_admin_invite(settings, args.role, args.unit, sys.stdout))
    verify = sub.add_parser("verify", help="check a certificate's verification code")
    verify.add_argument("code")
    verify.set_defaults(handler=lambda settings, args: cmd_verify(settings, args.code, sys.stdout))
    bk = sub.add_parser("backup", help="copy the SQLite database to a new file (online, consistent)")
    bk.add_argument("file", type=Path)
    rs = sub.add_parser("restore", help="replace the SQLite database with a backup (stop the tutor first)")
    rs.add_argument("file", type=Path)
    rs.add_argument("--force", action="store_true", help="overwrite a database that holds learners")
    for p in (bk, rs):
        p.set_defaults(handler=lambda settings, args: cmd_backup(settings, args.command, args.file,
                                                                 getattr(args, "force", False), sys.stdout))

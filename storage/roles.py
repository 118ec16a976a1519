"""Staff roles and their units; every statistics view asks here whether a unit may be seen."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repo
from storage.models import AuditEvent, Staff, StaffHamlet
from storage.units import Scope

ROLES = ("volunteer", "commune_admin", "province_admin", "national_admin")


STATS_ROLES = frozenset({"commune_admin", "province_admin", "national_admin"})


class ScopeError(PermissionError):
    """A staff member asked for statistics of a unit that is not theirs (nor below theirs)."""


def may_see(staff: Staff | None, scope: Scope) -> bool:
    """Statistics of `scope` are visible to admins of that unit or of a unit above it; never to others."""
    if staff is None or staff.role not in STATS_ROLES or not staff.active:
        return False
    if staff.role == "national_admin":
        return True
    if staff.role == "province_admin":
        return scope.province_code is not None and scope.province_code == staff.province_code
    return scope.ward_code is not None and scope.ward_code == staff.ward_code


def home_scope(staff: Staff) -> Scope:
    """The unit a staff member is responsible for."""
    if staff.role == "national_admin":
        return Scope()
    if staff.role == "province_admin":
        return Scope(province_code=staff.province_code)
    return Scope(province_code=staff.province_code, ward_code=staff.ward_code)


async def staff_of(s: AsyncSession, user_id: int) -> Staff | None:
    """The staff record of a user, if any."""
    return (await s.execute(select(Staff).where(Staff.user_id == user_id))).scalar_one_or_none()


async def staff_by_username(s: AsyncSession, username: str) -> Staff | None:
    """The staff account with this web login, if any."""
    return (await s.execute(select(Staff).where(Staff.username == username))).scalar_one_or_none()


def check_role_unit(role: str, scope: Scope) -> None:
    """Raise ValueError unless the role exists and fits the unit (a province admin needs a province, …)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if role == "province_admin" and (scope.province_code is None or scope.ward_code is not None):
        raise ValueError("a province admin needs a province unit (P<code>)")
    if role in ("commune_admin", "volunteer") and scope.ward_code is None:
        raise ValueError("a commune admin or volunteer needs a commune unit (X<code>)")


async def grant(s: AsyncSession, channel: str, channel_user_id: str, role: str, scope: Scope,
                created_by: str = "cli") -> Staff:
    """Give a channel user a role over a unit (replacing any earlier role)."""
    check_role_unit(role, scope)
    user = await repo.get_or_create_user(s, channel, channel_user_id)
    staff = await staff_of(s, user.id)
    if staff is None:
        staff = Staff(user_id=user.id, role=role)
        s.add(staff)
    elif staff.ward_code is not None and staff.ward_code != scope.ward_code:
        # The thôn covered were thôn of the old commune.
        await s.execute(delete(StaffHamlet).where(StaffHamlet.staff_id == staff.id))
    staff.role, staff.province_code, staff.ward_code, staff.created_by = (
        role, scope.province_code, scope.ward_code, created_by)
    await s.flush()
    s.add(AuditEvent(action="role_granted", staff_id=staff.id, subject=scope.code, detail=f"{role} by {created_by}"))
    return staff

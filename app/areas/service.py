"""Areas and regions: the tenancy every other feature is scoped by."""

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts.models import Role, User
from app.areas.models import Area, Region
from app.core.rules import RuleError


@dataclass(frozen=True)
class AreaDetails:
    name: str
    code: str | None
    region_id: int | None
    suppression_threshold: int
    named_in_region: bool = False  # agreed to be named beside others in regional comparisons


@dataclass(frozen=True)
class AreaRow:
    area: Area
    region_name: str | None
    staff_count: int


def list_regions(session: Session) -> list[Region]:
    return list(session.exec(select(Region).order_by(col(Region.name))))


def visible_areas(session: Session, user: User) -> list[AreaRow]:
    """The areas a user may see, with their region and number of staff: all for admins, else their own."""
    staff = (
        select(User.area_id, func.count().label("staff_count"))
        .where(col(User.is_active).is_(True))
        .group_by(col(User.area_id))
        .subquery()
    )
    query = (
        select(Area, Region.name, func.coalesce(staff.c.staff_count, 0))
        .outerjoin(Region, col(Area.region_id) == col(Region.id))
        .outerjoin(staff, staff.c.area_id == col(Area.id))
        .order_by(col(Region.name), col(Area.name))
    )
    if user.role != Role.admin:
        query = query.where(Area.id == user.area_id)
    return [AreaRow(area, region_name, count) for area, region_name, count in session.exec(query)]


def can_see_area(user: User, area_id: int) -> bool:
    return user.role == Role.admin or user.area_id == area_id


def get_visible_area(session: Session, user: User, area_id: int) -> Area | None:
    """The area if it exists and the user may see it; None otherwise, so other areas stay unknown."""
    if not can_see_area(user, area_id):
        return None
    return session.get(Area, area_id)


def get_area(session: Session, area_id: int) -> Area | None:
    return session.get(Area, area_id)


def get_region(session: Session, region_id: int) -> Region | None:
    return session.get(Region, region_id)


def _check_area_name(session: Session, name: str, area_id: int | None) -> None:
    clash = session.exec(select(Area).where(func.lower(Area.name) == name.lower())).first()
    if clash is not None and clash.id != area_id:
        raise RuleError("name", "There is already an area with this name")


def _check_region(session: Session, region_id: int | None) -> None:
    if region_id is not None and session.get(Region, region_id) is None:
        raise RuleError("region_id", "Select a region from the list")


def create_area(session: Session, details: AreaDetails) -> Area:
    return update_area(session, Area(name=details.name), details)


def update_area(session: Session, area: Area, details: AreaDetails) -> Area:
    """Save an area's details (a new area too); names are unique whatever their case."""
    _check_area_name(session, details.name, area.id)
    _check_region(session, details.region_id)
    area.name, area.code, area.region_id = details.name, details.code or None, details.region_id
    area.suppression_threshold = details.suppression_threshold
    area.named_in_region = details.named_in_region
    session.add(area)
    session.flush()
    return area


def _check_region_name(session: Session, name: str, region_id: int | None) -> None:
    clash = session.exec(select(Region).where(func.lower(Region.name) == name.lower())).first()
    if clash is not None and clash.id != region_id:
        raise RuleError("name", "There is already a region with this name")


def create_region(session: Session, *, name: str) -> Region:
    _check_region_name(session, name, None)
    region = Region(name=name)
    session.add(region)
    session.flush()
    return region


def rename_region(session: Session, region: Region, *, name: str) -> Region:
    _check_region_name(session, name, region.id)
    region.name = name
    session.add(region)
    session.flush()
    return region


def list_all_areas(session: Session) -> list[Area]:
    return list(session.exec(select(Area).order_by(col(Area.name))))

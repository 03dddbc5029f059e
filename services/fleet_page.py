"""What the console's Operations page shows (docs/fleet-control.md): the account's destinations
with their breakers, the groups of stuck exports, and what people call what these name (a
destination by its owner's name, a key by its label), with the database's time to age them."""

from dataclasses import dataclass
from datetime import datetime

from services import destinations, operations
from services.context import Context
from services.models.fleet import DestinationView, FailureGroup
from store import console
from store.exports import database_now


@dataclass(frozen=True)
class FleetPage:
    """The destinations (by kind and id), the failure groups (largest first) and the names."""

    destinations: list[DestinationView]
    groups: list[FailureGroup]
    destination_names: dict[str, str]
    key_labels: dict[str, str]
    now: datetime

    def age_seconds(self, since: datetime | None) -> float | None:
        """How long ago `since` was (None for never)."""
        if since is None:
            return None
        return max((self.now - since).total_seconds(), 0.0)

    def who(self, key_id: str | None) -> str:
        """A key's label (or name); the CLI and unknown keys as they are recorded."""
        if key_id is None:
            return ""
        return self.key_labels.get(key_id, key_id)


async def fleet_page(ctx: Context) -> FleetPage:
    """The Operations page of the caller's account."""
    listed = await destinations.list_destinations(ctx)
    stuck = await operations.failures(ctx)
    async with ctx.connect() as conn:
        names = await console.account_names(conn, ctx.account_id)
        now = await database_now(conn)
    return FleetPage(
        destinations=listed.data,
        groups=stuck.data,
        destination_names={d.destination_id: d.name for d in listed.data},
        key_labels=names.keys,
        now=now,
    )

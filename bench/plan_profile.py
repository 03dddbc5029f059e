"""Profile of one `--orders`-order plan (issue 25): where the CPU of a plan goes.

Against a fresh migrated database seeded as `make bench-plan` seeds it, the planning activity's
code, `PlanningActivities.plan_export`, is called in this process for a new export each time
(load the snapshot, plan, persist), followed by what the API does with the plan afterwards
(`get_plan` and the answer's JSON), under cProfile. No Temporal: the workflow and the HTTP
hops are `make bench-plan`'s. Prints the top entries by cumulative and by total (own) time and
the CPU per plan (profiled, so higher than without the profiler).
"""

import argparse
import asyncio
import cProfile
import io
import pstats
import time
import uuid
from datetime import UTC, datetime

import httpx

from activities.planning import PlanningActivities
from api.app import create_app
from bench.common import fresh_database, server_url
from bench.plan import ROOT, seed
from config.settings import Settings
from services.exports.views import as_plan
from store.exports import get_plan
from store.pool import create_pool
from workflows.messages import PlanExportInput


def report(profile: cProfile.Profile, plans: int, cpu: float, top: int) -> None:
    print(f"{plans} plans, CPU per plan {1000 * cpu / plans:.1f} ms (process time)")
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(key).print_stats(top)
        print(f"--- top {top} by {key} ---")
        print(out.getvalue().split("\n\n", 1)[-1].strip())


async def activity_mode(args: argparse.Namespace, db_url: str) -> None:
    settings = Settings(database_url=db_url, data_dir=ROOT / ".entrygo" / "bench")
    pool = await create_pool(db_url)
    try:
        app = create_app(settings, None)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as http,
        ):
            seeded = await seed(pool, http, args.orders)
        activities = PlanningActivities(pool, settings)

        async def once() -> None:
            export_id = f"exp_{uuid.uuid4().hex}"
            summary = await activities.plan_export(
                PlanExportInput(
                    export_id=export_id,
                    account_id=seeded["accountId"],
                    warehouse_id=seeded["warehouseId"],
                    broker_id=seeded["brokerId"],
                    destination_country="US",
                    order_ids=seeded["orderIds"],
                    plan_date=datetime.now(UTC),
                    dedupe_key=export_id,
                    actor="bench",
                    replan=False,
                )
            )
            if args.show and summary.readiness_state != "READY":
                print("readiness:", summary.readiness_state)
            async with pool.acquire() as conn:  # what the API does with the plan
                document = await get_plan(conn, seeded["accountId"], export_id)
            as_plan(document).model_dump_json(by_alias=True)

        for _ in range(args.warmup):
            await once()
        profile = cProfile.Profile()
        cpu = time.process_time()
        profile.enable()
        for _ in range(args.samples):
            await once()
        profile.disable()
        report(profile, args.samples, time.process_time() - cpu, args.top)
        if args.dump:
            profile.dump_stats(args.dump)
    finally:
        await pool.close()


async def run(args: argparse.Namespace) -> None:
    url, embedded = server_url()
    try:
        async with fresh_database(url) as db_url:
            await activity_mode(args, db_url)
    finally:
        if embedded is not None:
            embedded.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--dump", help="write the raw profile to this file")
    parser.add_argument("--show", action="store_true", help="say when a plan is not READY")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

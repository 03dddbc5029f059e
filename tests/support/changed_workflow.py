"""A deliberately incompatible ExportWorkflow: it waits on a timer before planning."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.export import ExportWorkflow
    from workflows.messages import ExportInput


@workflow.defn(name="ExportWorkflow")
class TimerFirstExportWorkflow(ExportWorkflow):
    """Same name, same messages, one extra command first: old histories must not replay."""

    @workflow.run
    async def run(self, inp: ExportInput) -> str:
        """Sleep, then behave as before."""
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(inp)

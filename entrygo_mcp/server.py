"""`entrygo mcp`: the lifecycle as MCP tools, over stdio (default) or streamable HTTP.

A client of the HTTP API through the SDK: it reads ENTRYGO_BASE_URL (default
http://localhost:3000/api) and ENTRYGO_API_KEY and needs no database or Temporal settings.
"""

import json
from typing import Any

import httpx
from entrygo_client import AsyncEntryGo, EntryGoError
from mcp import types
from mcp.server import Server
from mcp.server.stdio import stdio_server

from entrygo_mcp.tools import BY_NAME, TOOLS, ToolRefused, refusal_of

INSTRUCTIONS = (
    "EntryGo exports US-bound orders. The safe loop: sync current inputs (products, orders) → "
    "plan_export → read readinessState and validationMessages → execute_export only when the "
    "plan is READY (or a person approved it) → wait_for_export / inspect_export until the state "
    "supports your next action. When the broker asks (BROKER_ACTION_REQUIRED): "
    "list_broker_requests → correct the data with sync → answer_broker_request; its outcome "
    "awaiting_review means a person must approve the new plan before anything goes to the "
    "broker. Errors start with the contract's errorCode; branch on it."
)


class Tools:
    """The tool table, with input schemas read once from the API's OpenAPI document."""

    def __init__(self, client: AsyncEntryGo, document_url: str) -> None:
        self.client = client
        self.document_url = document_url
        self._schemas: dict[str, dict[str, Any]] | None = None

    @property
    def loaded(self) -> dict[str, dict[str, Any]] | None:
        """The input schemas, once read."""
        return self._schemas

    async def schemas(self) -> dict[str, dict[str, Any]]:
        if self._schemas is None:
            async with httpx.AsyncClient(timeout=30) as http:
                response = await http.get(self.document_url)
                response.raise_for_status()
                document = response.json()
            self._schemas = {t.name: t.schema(document) for t in TOOLS}
        return self._schemas

    async def list(self) -> list[types.Tool]:
        schemas = await self.schemas()
        return [
            types.Tool(name=t.name, description=t.description, input_schema=schemas[t.name])
            for t in TOOLS
        ]

    async def call(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        await self.schemas()
        spec = BY_NAME.get(name)
        if spec is None:
            return _error(ToolRefused("UNKNOWN_TOOL", f"No tool named {name!r}."))
        try:
            body = await spec.handler(self.client, dict(arguments))
        except ToolRefused as refused:
            return _error(refused)
        except EntryGoError as exc:
            return _error(refusal_of(exc))
        structured = body if isinstance(body, dict) else {"result": body}
        texts = [json.dumps(body, default=str)]
        note = spec.note(body) if spec.note is not None else None
        if note:
            texts.insert(0, note)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text) for text in texts],
            structured_content=structured,
        )


def _error(refused: ToolRefused) -> types.CallToolResult:
    body = {"errorCode": refused.code, "message": refused.message, "details": refused.details}
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=str(refused))],
        structured_content=body,
        is_error=True,
    )


def document_url(base_url: str) -> str:
    """The OpenAPI document next to the API (`…/api` → `…/docs/api/openapi`)."""
    root = base_url.rstrip("/")
    root = root[: -len("/api")] if root.endswith("/api") else root
    return f"{root}/docs/api/openapi"


def build_server(client: AsyncEntryGo) -> Server[Any]:
    """The MCP server over an SDK client."""
    tools = Tools(client, document_url(str(client.base_url)))

    async def on_list_tools(_ctx: Any, _params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=await tools.list())

    async def on_call_tool(_ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        return await tools.call(params.name, params.arguments or {})

    def input_schema(name: str) -> dict[str, Any] | None:
        # arguments are checked against the contract's schema before a tool runs
        return (tools.loaded or {}).get(name)

    return Server(
        "entrygo",
        instructions=INSTRUCTIONS,
        get_tool_input_schema=input_schema,
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
    )


async def run_stdio(client: AsyncEntryGo) -> None:
    """Serve on stdin/stdout until the client closes them."""
    server = build_server(client)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


async def run_http(client: AsyncEntryGo, host: str, port: int, path: str = "/mcp") -> None:
    """Serve streamable HTTP at http://host:port/path."""
    import uvicorn  # noqa: PLC0415  (only this transport needs it)

    server = build_server(client)
    app = server.streamable_http_app(streamable_http_path=path, host=host)
    await uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning")).serve()

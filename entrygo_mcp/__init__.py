"""The MCP server for agents: the lifecycle as tools over the SDK (`entrygo mcp`)."""

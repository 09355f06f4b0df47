"""MCP tools, one module per toolset (see PRODUCT.md section 2)."""

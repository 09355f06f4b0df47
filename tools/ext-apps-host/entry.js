// The test host's browser entry: the official MCP Apps host bridge, exposed on window for tests/browser/view_host.html.
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

window.McpAppBridge = { AppBridge, PostMessageTransport };

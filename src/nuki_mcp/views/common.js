"use strict";
// The view side of MCP Apps (ext-apps 2026-01-26): JSON-RPC 2.0 over postMessage with the host window.
// Everything shown comes from tool results and is written with textContent, never parsed as HTML.
const PROTOCOL_VERSION = "2026-01-26";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function resultText(result) {
  return ((result && result.content) || []).filter((b) => b.type === "text").map((b) => b.text).join("\n");
}

const host = (() => {
  let nextId = 1;
  let capabilities = {};
  const pending = new Map();
  const handlers = {};

  function post(message) {
    window.parent.postMessage(message, "*");
  }

  window.addEventListener("message", (event) => {
    if (event.source !== window.parent) return;
    const msg = event.data;
    if (!msg || typeof msg !== "object" || msg.jsonrpc !== "2.0") return;
    if (msg.method === undefined) {
      const waiting = pending.get(msg.id);
      if (!waiting) return;
      pending.delete(msg.id);
      if (msg.error) waiting.reject(new Error(msg.error.message || "The host refused the request."));
      else waiting.resolve(msg.result || {});
      return;
    }
    const handler = handlers[msg.method];
    if (msg.id === undefined) {
      if (handler) handler(msg.params || {});
      return;
    }
    // A request from the host (ping, ui/resource-teardown): answer it.
    Promise.resolve(handler ? handler(msg.params || {}) : {}).then(
      (result) => post({ jsonrpc: "2.0", id: msg.id, result: result || {} }),
      (error) => post({ jsonrpc: "2.0", id: msg.id, error: { code: -32603, message: String(error) } })
    );
  });

  function request(method, params) {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      post({ jsonrpc: "2.0", id, method, params: params || {} });
    });
  }

  function notify(method, params) {
    post({ jsonrpc: "2.0", method, params: params || {} });
  }

  function applyContext(context) {
    if (!context) return;
    if (context.theme === "light" || context.theme === "dark") document.documentElement.dataset.theme = context.theme;
    const variables = context.styles && context.styles.variables;
    if (variables) {
      for (const [name, value] of Object.entries(variables)) {
        if (typeof value === "string" && name.startsWith("--")) document.documentElement.style.setProperty(name, value);
      }
    }
  }

  function reportSize() {
    const box = document.documentElement.getBoundingClientRect();
    notify("ui/notifications/size-changed", { width: Math.ceil(box.width), height: Math.ceil(box.height) });
  }

  async function connect(name) {
    handlers["ui/notifications/host-context-changed"] = applyContext;
    handlers["ping"] = () => ({});
    handlers["ui/resource-teardown"] = () => ({});
    const result = await request("ui/initialize", {
      appInfo: { name, version: "1" },
      appCapabilities: {},
      protocolVersion: PROTOCOL_VERSION,
    });
    capabilities = result.hostCapabilities || {};
    applyContext(result.hostContext);
    notify("ui/notifications/initialized", {});
    new ResizeObserver(reportSize).observe(document.body);
    return result;
  }

  return {
    connect,
    on(method, handler) {
      handlers[method] = handler;
    },
    callTool(name, args) {
      return request("tools/call", { name, arguments: args || {} });
    },
    // Tell the model what happened in the view: its context when the host takes context updates, else a message.
    async tellModel(text) {
      const content = [{ type: "text", text }];
      if (capabilities.updateModelContext) return request("ui/update-model-context", { content });
      if (capabilities.message) return request("ui/message", { role: "user", content });
      return undefined;
    },
    openLink(url) {
      return request("ui/open-link", { url });
    },
    get capabilities() {
      return capabilities;
    },
  };
})();

function approvalOf(result) {
  const meta = result && result._meta;
  const approval = meta && meta["nuki/approval"];
  return approval && typeof approval.approval_id === "string" ? approval : null;
}

function describeChange(change) {
  if (typeof change === "string") return change;
  if (change && typeof change === "object") {
    const show = (v) => (v === null || v === undefined ? "(not set)" : JSON.stringify(v));
    if ("field" in change) return `${change.field}: ${show(change.before)} \u2192 ${show(change.after)}`;
    return JSON.stringify(change);
  }
  return String(change);
}

function outcomeText(result) {
  const data = (result && result.structuredContent) || {};
  const parts = [data.status, data.summary, data.reason].filter((p) => typeof p === "string" && p);
  return parts.length ? parts.join(": ") : resultText(result);
}

// The confirmation card: the pending write's summary and changes, Approve and Cancel.
// Approve calls the app-only approve_write (or, under passkey mode, opens the approval page);
// Cancel calls deny_write. Each click is sent once; the outcome is shown and told to the model.
function approvalCard(approval) {
  const status = el("div", { class: "status", role: "status", "aria-live": "polite", "data-role": "outcome" });
  const changes = Array.isArray(approval.changes) ? approval.changes : [];
  const passkey = typeof approval.approval_url === "string" && approval.approval_url;
  const approve = el("button", { class: "primary", "data-role": "approve", text: passkey ? "Approve with passkey" : "Approve" });
  const cancel = el("button", { "data-role": "cancel", text: "Cancel" });
  const expires = Number.isFinite(approval.expires_in_s) ? `Expires in ${approval.expires_in_s} s.` : "";
  const card = el(
    "section",
    { class: "card confirm", "data-approval": approval.approval_id },
    el("h2", { text: "Confirm this change" }),
    el("p", { "data-role": "summary", text: approval.summary || "" }),
    changes.length ? el("ul", { "data-role": "changes" }, changes.map((c) => el("li", { text: describeChange(c) }))) : null,
    el("p", { class: "muted", text: passkey ? `${expires} Approving needs your passkey on the approval page.` : expires }),
    el("div", { class: "actions" }, approve, cancel),
    status
  );
  const settle = () => {
    approve.disabled = true;
    cancel.disabled = true;
  };
  approve.addEventListener("click", async () => {
    if (passkey) {
      try {
        const opened = await host.openLink(approval.approval_url);
        status.textContent = opened && opened.isError
          ? `The host did not open the approval page; open ${approval.approval_url} yourself.`
          : "Approval page opened: approve there with your passkey.";
      } catch (error) {
        status.textContent = `The host did not open the approval page; open ${approval.approval_url} yourself.`;
      }
      return;
    }
    settle();
    status.textContent = "Approving\u2026";
    await finish("approve_write", "approved");
  });
  cancel.addEventListener("click", async () => {
    settle();
    status.textContent = "Cancelling\u2026";
    await finish("deny_write", "cancelled");
  });
  async function finish(tool, verb) {
    let text;
    try {
      const result = await host.callTool(tool, { approval_id: approval.approval_id });
      text = result.isError ? `Not done: ${resultText(result)}` : outcomeText(result);
      status.className = `status ${result.isError ? "bad" : verb === "approved" ? "ok" : "muted"}`;
    } catch (error) {
      text = `The host could not reach the server: ${error.message}`;
      status.className = "status bad";
    }
    status.textContent = text;
    card.dataset.outcome = verb;
    try {
      const clicked = verb === "approved" ? "Approve" : "Cancel";
      await host.tellModel(`In the confirmation card the user clicked ${clicked} for: ${approval.summary} Outcome: ${text}`);
    } catch (error) {
      /* The outcome is on screen; a host that refuses context updates changes nothing here. */
    }
  }
  return card;
}

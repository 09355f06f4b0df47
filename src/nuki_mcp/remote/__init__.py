"""Remote mode (`--public-url`): nuki-mcp as the OAuth 2.1 authorization server of its MCP endpoint.

- `oauth`: the SDK's `OAuthAuthorizationServerProvider` over shared state (clients, sign-in requests, codes,
  tokens stored hashed), Client ID Metadata Documents, and the token verifier of `/mcp`.
- `signin`: the sign-in page (the owner's passkey, RP id = the public host name) and the one-time
  enrolment links of `nuki-mcp passkey add --public-url`.
- `app`: the ASGI app: SDK auth routes and protected-resource metadata, `/mcp` behind bearer auth, host
  checks, HSTS, body limits and rate budgets.
"""

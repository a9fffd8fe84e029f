// A real, certified OpenID provider (npm oidc-provider) for Vigil's single
// sign-on tests: one static confidential client, a few test accounts, and
// the provider's own login and consent pages (its development
// interactions, which take any password for a known account: the tests
// are about Vigil's side of the flow). It listens on 127.0.0.1 only and
// prints one line of JSON when ready.
//
// Usage: node oidc_provider.mjs CONFIG_JSON
//   {"port": N, "clientId": "...", "clientSecret": "...", "redirectUri": "...",
//    "accounts": {"SUB": {"preferred_username": "...", "roles": [...], "organisation": "..."}}}
import Provider from "oidc-provider";

const cfg = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${cfg.port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: cfg.clientId,
    client_secret: cfg.clientSecret,
    redirect_uris: [cfg.redirectUri],
    response_types: ["code"],
    grant_types: ["authorization_code"],
    token_endpoint_auth_method: "client_secret_basic",
  }],
  // Vigil's role and organisation claims travel with the profile scope.
  claims: {
    openid: ["sub"],
    profile: ["preferred_username", "name", "roles", "organisation"],
    email: ["email", "email_verified"],
  },
  async findAccount(ctx, sub) {
    const a = cfg.accounts[sub];
    if (!a) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...a }) };
  },
  pkce: { required: () => true },
  cookies: { keys: ["vigil-test-only-cookie-key"] },
  features: { devInteractions: { enabled: true } },
});
provider.proxy = false;
for (const ev of ["server_error", "authorization.error", "grant.error", "userinfo.error"]) {
  provider.on(ev, (ctx, err) => console.error(`oidc-provider ${ev}:`, err));
}

const server = provider.listen(cfg.port, "127.0.0.1", () => {
  console.log(JSON.stringify({ ready: true, issuer }));
});
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

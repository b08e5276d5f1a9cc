// A real OpenID Provider for lanyard's tests: `oidc-provider` (the certified Node.js OP), pinned in
// package.json, installed under target/oidc-op by scripts/lib.sh (ensure_oidc_op).
//
// Usage: node op.mjs (it exits when its standard input closes: the tests hold it open)
// Starts two providers on loopback ports the system picks and prints one line,
//   READY {"id_token_claims": "http://127.0.0.1:PORT", "userinfo_claims": "http://127.0.0.1:PORT"}
// - `id_token_claims` puts the person's claims in the ID token (conformIdTokenClaims: false);
// - `userinfo_claims` gives them only at the userinfo endpoint (the OpenID Connect default).
// Each has three clients: `basic` (client_secret_basic, ID tokens RS256), `post`
// (client_secret_post, ES256) and `public` (none, PKCE only, EdDSA); secrets are `<client>-secret`.
// Redirect URIs on 127.0.0.1/localhost are accepted for any path (one OP serves every test server).
// The login form is oidc-provider's own (devInteractions): any password; the login names the
// account below, or `<name>` for a person with verified `<name>@example.test`.
import http from 'node:http';
import Provider from 'oidc-provider';
import { generateKeyPair, exportJWK, importJWK, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';

const ACCOUNTS = {
  ada: {
    email: 'ada@example.test', email_verified: true, given_name: 'Ada', family_name: 'Lovelace',
    groups: ['engineering', 'admins'], realm_access: { roles: ['analyst', 'reviewer'] },
  },
  grace: {
    email: 'grace@example.test', email_verified: true, given_name: 'Grace', family_name: 'Hopper',
    groups: ['engineering'], realm_access: { roles: ['analyst'] },
  },
  // Claims an address it has not verified (the takeover case).
  mallory: { email: 'owner@example.test', email_verified: false, given_name: 'Mallory', family_name: 'M' },
};

// People by login (= `sub`): the ones below, those a test set with `POST /test/people`
// `{"sub", "email", "email_verified"}` (so it can change the email of one `sub`), or for any other
// login a verified `<login>@example.test`.
const PEOPLE = new Map();

function claimsOf(sub) {
  const known = PEOPLE.get(sub) ?? ACCOUNTS[sub] ?? {
    email: `${sub}@example.test`, email_verified: true, given_name: sub, family_name: 'Test',
  };
  return { sub, ...known };
}

async function setPerson(ctx) {
  let body = '';
  for await (const chunk of ctx.req) body += chunk;
  const { sub, email, email_verified: verified = true } = JSON.parse(body);
  PEOPLE.set(sub, { email, email_verified: verified, given_name: 'Test', family_name: sub });
  ctx.status = 204;
}

async function key(alg, kid) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
}

const loopback = (uri) => {
  try {
    const url = new URL(uri);
    return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) && url.protocol === 'http:';
  } catch {
    return false;
  }
};

async function start(conformIdTokenClaims) {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const keys = [await key('RS256', 'rs'), await key('ES256', 'es'), await key('EdDSA', 'ed')];
  const client = (id, method, alg) => ({
    client_id: id,
    ...(method === 'none' ? {} : { client_secret: `${id}-secret` }),
    token_endpoint_auth_method: method,
    id_token_signed_response_alg: alg,
    redirect_uris: ['http://127.0.0.1/registered'],
    post_logout_redirect_uris: ['http://127.0.0.1/'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  });
  const provider = new Provider(issuer, {
    clients: [
      client('basic', 'client_secret_basic', 'RS256'),
      client('post', 'client_secret_post', 'ES256'),
      client('public', 'none', 'EdDSA'),
    ],
    jwks: { keys },
    cookies: { keys: ['lanyard-test-op'] },
    conformIdTokenClaims,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['given_name', 'family_name'],
      groups: ['groups', 'realm_access'],
    },
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'ES256', 'EdDSA'] },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { required: () => true },
    async findAccount(ctx, id) {
      return { accountId: id, async claims() { return claimsOf(id); } };
    },
    // No consent page: the test's clients are first-party; every asked scope is granted.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile groups');
      await grant.save();
      return grant;
    },
  });
  // One OP serves every test server, each on its own loopback port.
  provider.Client.prototype.redirectUriAllowed = loopback;
  provider.Client.prototype.postLogoutRedirectUriAllowed = loopback;
  // `POST /test/logout-token {"client_id", "sub"?, "sid"?}`: a back-channel logout token as this OP
  // signs one (RS256, its own key), for the test to deliver to lanyard.
  const rsa = await importJWK(keys[0], 'RS256');
  const logoutToken = async (ctx) => {
    let body = '';
    for await (const chunk of ctx.req) body += chunk;
    const { client_id: audience, sub, sid } = JSON.parse(body);
    const claims = { events: { 'http://schemas.openid.net/event/backchannel-logout': {} } };
    if (sid) claims.sid = sid;
    let jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'rs', typ: 'logout+jwt' })
      .setIssuer(issuer).setAudience(audience).setIssuedAt().setExpirationTime('2m').setJti(randomUUID());
    if (sub) jwt = jwt.setSubject(sub);
    ctx.body = await jwt.sign(rsa);
  };
  provider.use(async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === '/test/people') return setPerson(ctx);
    if (ctx.method === 'POST' && ctx.path === '/test/logout-token') return logoutToken(ctx);
    return next();
  });
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  server.on('request', provider.callback());
  return issuer;
}

const ready = {
  id_token_claims: await start(false),
  userinfo_claims: await start(true),
};
console.log(`READY ${JSON.stringify(ready)}`);

// The test process holds our stdin: when it exits, so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();

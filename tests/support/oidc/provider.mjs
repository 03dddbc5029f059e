// A real OpenID Provider for the console's sign-in tests: oidc-provider (certified, open source)
// with one confidential client, test people with a `groups` claim, a sign-in form of its own
// (login and password), first-party consent (no consent page) and RP-initiated logout.
//
// Started by tests/support/oidc_provider.py with its configuration as JSON in OIDC_TEST_CONFIG:
//   { port, clientId, clientSecret, tokenAuthMethod, redirectUris, postLogoutRedirectUris,
//     users: { <login>: { password, name, email, groups } } }
//
// One test control beside the provider: POST /test/next-id-token {aud, shift, nonce, foreignKey}
// makes the next ID token the token endpoint answers carry another audience, times shifted by
// `shift` seconds (an expired token), another nonce, or a signature by a key the provider does
// not publish. The token is re-signed with the provider's own key otherwise, so that a relying
// party's checks of each claim are what refuses it.
import http from 'node:http';
import { randomBytes } from 'node:crypto';

import { SignJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_TEST_CONFIG);
const issuer = `http://127.0.0.1:${config.port}`;
const KID = 'test-signing-key';

const signing = await generateKeyPair('RS256', { extractable: true });
const foreign = await generateKeyPair('RS256', { extractable: true });
const privateJwk = { ...(await exportJWK(signing.privateKey)), kid: KID, alg: 'RS256', use: 'sig' };

let tamper = null; // what the next ID token answered by the token endpoint carries instead

const escape = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
</head><body><h1>${escape(title)}</h1>${body}</body></html>`;
}

function account(id) {
  const user = config.users[id];
  if (!user) return undefined;
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        name: user.name,
        email: user.email,
        email_verified: true,
        groups: user.groups,
      };
    },
  };
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: config.clientId,
      client_secret: config.clientSecret,
      client_name: 'EntryGo console',
      redirect_uris: config.redirectUris,
      post_logout_redirect_uris: config.postLogoutRedirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: config.tokenAuthMethod,
    },
  ],
  jwks: { keys: [privateJwk] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  scopes: ['openid', 'profile', 'email', 'groups'],
  findAccount: (ctx, id) => account(id),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Sign out of the test provider?', `${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out', '<p>You are signed out of the test provider.</p>');
      },
    },
  },
  // the console is a first-party client: what it asks for is granted without a consent page
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile email groups');
    await grant.save();
    return grant;
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Provider error', `<p id="op-error">${escape(out.error)}: ${escape(out.error_description || '')}</p>`);
  },
});

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || tamper === null || !ctx.body?.id_token) return;
  const change = tamper;
  tamper = null;
  const claims = decodeJwt(ctx.body.id_token);
  if (change.aud !== undefined) claims.aud = change.aud;
  if (change.nonce !== undefined) claims.nonce = change.nonce;
  if (change.shift !== undefined) {
    claims.iat += change.shift;
    claims.exp += change.shift;
  }
  const key = change.foreignKey ? foreign.privateKey : signing.privateKey;
  ctx.body = {
    ...ctx.body,
    id_token: await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: KID }).sign(key),
  };
});

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

function loginForm(uid, error) {
  const alert = error ? `<p id="op-login-error" role="alert">${escape(error)}</p>` : '';
  return page('Sign in to the test provider', `${alert}
<form method="post" action="/interaction/${escape(uid)}/login" autocomplete="off">
<label for="login">Login</label> <input id="login" name="login" required>
<label for="password">Password</label> <input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form>`);
}

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name !== 'login') {
    send(res, 501, page('Not implemented', `<p>${escape(details.prompt.name)}</p>`));
    return;
  }
  if (action !== 'login') {
    send(res, 200, loginForm(uid, null));
    return;
  }
  const form = await readForm(req);
  const login = form.get('login') || '';
  const user = config.users[login];
  if (!user || user.password !== form.get('password')) {
    send(res, 401, loginForm(uid, 'Wrong login or password.'));
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: login } }, {
    mergeWithLastSubmission: false,
  });
}

const callback = provider.callback();
const INTERACTION = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login))?$/;

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (url.pathname === '/test/next-id-token' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      tamper = JSON.parse(body);
      res.writeHead(204);
      res.end();
      return;
    }
    const found = INTERACTION.exec(url.pathname);
    if (found) {
      await interaction(req, res, found[1], req.method === 'POST' ? found[2] : undefined);
      return;
    }
    callback(req, res);
  } catch (err) {
    send(res, 500, page('Provider error', `<p>${escape(err.message)}</p>`));
  }
});

server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`oidc provider listening at ${issuer}\n`);
});

/**
 * The simulator's own pages (sign-in form, errors, activation): plain HTML
 * with the portal's colours, labelled fields and visible focus, since the
 * accessibility audit visits them with the rest of the sign-in flow.
 */
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function simulatorPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · HKUST identity (simulated)</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1d232b;background:#fff}
.box{border:1px solid #ccd3db;border-radius:8px;padding:1.5rem}label{display:block;margin:.8rem 0 .2rem;font-weight:600}
input{width:100%;padding:.5rem;box-sizing:border-box;font-size:1rem;border:1px solid #5a6572;border-radius:4px}
button,.button{margin-top:1rem;background:#003366;color:#fff;border:0;border-radius:4px;padding:.6rem 1.2rem;font-size:1rem;text-decoration:none;display:inline-block;min-height:44px;cursor:pointer}
:focus-visible{outline:3px solid #b35900;outline-offset:2px}.note{color:#4a5561;font-size:.9rem}.error{color:#9b2c2c;font-weight:600}</style></head>
<body><main><p class="note">Simulated identity provider (development only)</p><div class="box"><h1>${esc(title)}</h1>${body}</div></main></body></html>`;
}

export const loginPage = {
  form(action: string, opts: { email?: string; error?: string } = {}): string {
    return simulatorPage(
      'Sign in with your HKUST account',
      `${opts.error ? `<p class="error" role="alert" id="login-error">${esc(opts.error)}</p>` : ''}
<form method="post" action="${esc(action)}">
<label for="email">University email</label><input id="email" name="email" type="email" autocomplete="username" required value="${esc(opts.email ?? '')}"${opts.error ? ' aria-describedby="login-error"' : ''}>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>`,
    );
  },
  error(message: string): string {
    return simulatorPage('Sign-in problem', `<p class="error">${esc(message)}</p>`);
  },
};

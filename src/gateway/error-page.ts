/**
 * What a person sees when the gateway refuses a page their browser navigated
 * to (a form post, a link, an address typed in): a small HTML page that says
 * what happened and where to go next, instead of the JSON error an API client
 * reads. The same code, message and request id as the JSON body, so support
 * can find the log line. Fetches and API clients still get JSON: a request is
 * a navigation only when the browser says so (`Sec-Fetch-Mode: navigate`) or,
 * from a browser without Fetch Metadata, when it prefers HTML to JSON.
 */
import type { Request } from 'express';
import type { AppError } from './errors';
import { CROSS_SITE_REFUSED } from './same-origin';

export function isNavigation(req: Request): boolean {
  const mode = req.get('sec-fetch-mode');
  if (mode !== undefined) return mode === 'navigate';
  return req.accepts(['application/json', 'text/html']) === 'text/html';
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

interface Advice {
  title: string;
  /** What to do now, in one or two sentences. */
  next: string;
}

function adviceFor(error: AppError): Advice {
  if (error.details.reason === CROSS_SITE_REFUSED) {
    return {
      title: 'This form came from another site',
      next:
        'For your safety, program registration only accepts forms sent from its own pages, so nothing was changed. ' +
        'To continue, open the link in your invitation email again, or go to program registration below.',
    };
  }
  if (error.status === 401)
    return { title: 'Please sign in', next: 'Open the link in your invitation email again, or sign in from program registration below.' };
  if (error.status === 403)
    return { title: 'Not available to you', next: 'You are signed in, but not for this. Go to program registration to see your own registration.' };
  if (error.status === 404) return { title: 'Page not found', next: 'The address may have been copied incompletely. Go to program registration below.' };
  if (error.status === 429) return { title: 'Please wait a moment', next: 'There were too many attempts from your network. Wait a minute, then try again.' };
  if (error.status >= 500) return { title: 'Something went wrong on our side', next: 'Nothing you did caused this. Please try again in a few minutes.' };
  return { title: 'This request was not accepted', next: 'Go back and try again, or go to program registration below.' };
}

/** Staff pages lead back to the staff sign-in; everything else to the student portal. */
const homeFor = (path: string) =>
  /^\/(staff|auth\/staff|api\/staff)(\/|$)/.test(path)
    ? { href: '/staff/', label: 'Go to the staff pages' }
    : { href: '/portal/', label: 'Go to program registration' };

export function errorPage(error: AppError, req: Request): string {
  const { title, next } = adviceFor(error);
  const home = homeFor(req.path);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${esc(title)} · Program registration</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1d232b;background:#fff}
.box{border:1px solid #ccd3db;border-radius:8px;padding:1.5rem}.button{display:inline-block;margin-top:1rem;background:#003366;color:#fff;border-radius:4px;padding:.6rem 1.2rem;text-decoration:none;min-height:44px;box-sizing:border-box}
:focus-visible{outline:3px solid #b35900;outline-offset:2px}.note{color:#4a5561;font-size:.9rem}</style></head>
<body><main class="box"><h1>${esc(title)}</h1>
<p>${esc(next)}</p>
<p><a class="button" href="${home.href}">${home.label}</a></p>
<p class="note">${esc(error.message)} (${esc(error.code)}, request ${esc(String(req.id))})</p>
</main></body></html>`;
}

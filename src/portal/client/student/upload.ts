/**
 * Uploading a file for a checklist item: hints before choosing, the same
 * checks the gateway makes (type, size, and for the photo its pixel size and
 * orientation) as soon as a file is chosen, a progress bar while it travels,
 * and the gateway's answer in plain words. The gateway checks again from the
 * file's own bytes; these checks only save the student a wasted upload. Each
 * file becomes a page of the item's next submission (pages.ts sends it).
 */
import type { ItemView, PhotoSpec } from '../../../../workflows/registration/types';
import { MEDIA_TYPE_LABELS, describeFileType, describeMediaTypes } from '../../../../workflows/registration/vocabulary';
import { ApiError, studentApi, type StatusResponse, type UploadRule } from '../api';
import { append, fmtBytes, h, unawaited } from '../dom';
import { announce, student } from './session';
import { uploadProblem } from './upload-problem';

const EXTENSIONS: Record<string, string[]> = { 'application/pdf': ['.pdf'], 'image/jpeg': ['.jpg', '.jpeg'], 'image/png': ['.png'] };

const typeList = (types: readonly string[]) => describeMediaTypes(types).replace(/, ([^,]*)$/, ' or $1');

interface Check {
  ok: boolean;
  text: string;
}

/**
 * An item's upload form. While the student has a file chosen in it, or is sending one, it is marked
 * `data-in-use`, and a redraw of its card keeps it (steps.ts): a change from elsewhere (a page added in
 * another tab, a deadline extended) must not drop the file chosen or the upload on its way.
 */
export function uploadPanel(v: StatusResponse, item: ItemView, done: () => void): HTMLElement {
  const photo = item.kind === 'PHOTO' ? v.photoSpec : undefined;
  // The gateway says what each item accepts; the photo's size range comes from the cohort's specification.
  const rule: UploadRule & { minBytes?: number } = { ...(v.uploads[item.key] ?? { mediaTypes: [], maxBytes: 0 }), minBytes: photo?.minBytes };
  const inputId = `file-${item.key.replace(/[^A-Za-z0-9]/g, '-')}`;

  const hints = h(
    'ul',
    { class: 'hints', id: `${inputId}-hints` },
    h('li', null, `${typeList(rule.mediaTypes)}, up to ${fmtBytes(rule.maxBytes)}`),
    photo
      ? [
          h(
            'li',
            null,
            `${photo.minWidth}–${photo.maxWidth} pixels wide and ${photo.minHeight}–${photo.maxHeight} pixels high${photo.portrait ? ', taller than wide (portrait)' : ''}`,
          ),
          h('li', null, 'Plain light background, face and shoulders centred, no hat or sunglasses'),
        ]
      : [
          h('li', null, 'Every page, clear and readable; a scan or a sharp photo of the document'),
          h('li', null, 'One file per page, or all pages in one PDF; you send them for review once every page is added'),
        ],
  );
  const input = h('input', {
    type: 'file',
    id: inputId,
    name: 'file',
    accept: rule.mediaTypes.flatMap((t) => [t, ...(EXTENSIONS[t] ?? [])]).join(','),
    'aria-describedby': `${inputId}-hints`,
  });
  const preview = h('div', { class: 'upload-preview', hidden: true });
  const bar = h(
    'div',
    { class: 'bar', hidden: true, role: 'progressbar', 'aria-label': 'Upload progress', 'aria-valuemin': 0, 'aria-valuemax': 100 },
    h('span'),
  );
  const error = h('div', { class: 'notice tone-bad', role: 'alert', hidden: true });
  const send = h('button', { class: 'btn', type: 'submit', disabled: true }, item.draft.length ? 'Upload another page' : 'Upload');
  const form = h(
    'form',
    { class: 'upload', 'data-upload': item.key },
    h('label', { for: inputId }, item.kind === 'PHOTO' ? 'Choose your photo' : `Choose a file for “${item.label}”`),
    hints,
    input,
    preview,
    bar,
    error,
    h('div', { class: 'actions' }, send),
  );

  let ready: File | undefined;
  const choose = async (file: File | undefined) => {
    ready = undefined;
    send.disabled = true;
    error.hidden = true;
    preview.hidden = true;
    preview.replaceChildren();
    if (!file) {
      delete form.dataset.inUse;
      return;
    }
    form.dataset.inUse = 'chosen';
    const { checks, image } = await checkFile(file, rule, photo);
    append(preview, [
      image ? h('img', { src: image.url, alt: 'Preview of the chosen photo' }) : null,
      h(
        'div',
        null,
        h('p', { class: 'small' }, h('strong', null, file.name), ` · ${fmtBytes(file.size)}`),
        h(
          'ul',
          { class: 'checks' },
          checks.map((c) => h('li', { class: c.ok ? 'pass' : 'fail' }, c.text)),
        ),
      ),
    ]);
    preview.hidden = false;
    if (checks.every((c) => c.ok)) {
      ready = file;
      send.disabled = false;
    }
  };
  input.addEventListener('change', () => void choose(input.files?.[0]));

  // Dropping a file on the panel is the same as choosing it.
  form.addEventListener('dragover', (e) => {
    e.preventDefault();
    form.classList.add('dragging');
  });
  form.addEventListener('dragleave', () => form.classList.remove('dragging'));
  form.addEventListener('drop', (e) => {
    e.preventDefault();
    form.classList.remove('dragging');
    const file = e.dataTransfer?.files?.[0];
    if (file) {
      const dt = new DataTransfer();
      dt.items.add(file);
      input.files = dt.files;
      void choose(file);
    }
  });

  form.addEventListener(
    'submit',
    unawaited(async (e: Event) => {
      e.preventDefault();
      if (!ready) return;
      send.disabled = true;
      input.disabled = true;
      form.dataset.inUse = 'sending';
      send.textContent = 'Uploading…';
      bar.hidden = false;
      const fill = bar.firstElementChild as HTMLElement;
      fill.style.width = '0%';
      // The card is redrawn with the page listed (by this refresh or the event stream's, whichever comes first) and takes the focus.
      student.focusCard = item.key;
      try {
        await studentApi.addPage(v.applicationNo, item.key, ready, (f) => {
          fill.style.width = `${Math.round(f * 100)}%`;
          bar.setAttribute('aria-valuenow', String(Math.round(f * 100)));
          // The bytes are sent; the gateway now stores them and tells the registration.
          if (f >= 1) bar.classList.add('indeterminate');
        });
        announce(`${item.label}: page received. Send it for review when every page is added.`);
        // Sent: the card's next redraw brings an empty form.
        delete form.dataset.inUse;
        done();
      } catch (err) {
        student.focusCard = undefined;
        bar.hidden = true;
        bar.classList.remove('indeterminate');
        input.disabled = false;
        send.disabled = false;
        form.dataset.inUse = 'chosen';
        const problem = uploadProblem(err);
        send.textContent = problem.retry;
        error.replaceChildren(
          h(
            'div',
            null,
            h('strong', null, problem.heading),
            h('p', null, problem.detail),
            err instanceof ApiError && err.requestId ? h('p', { class: 'small muted' }, `Reference: ${err.requestId}`) : null,
          ),
        );
        error.hidden = false;
        send.focus(); // the button was disabled while it sent, which dropped the focus
      }
    }),
  );
  return form;
}

async function checkFile(
  file: File,
  rule: UploadRule & { minBytes?: number },
  photo: PhotoSpec | undefined,
): Promise<{ checks: Check[]; image?: { url: string } }> {
  const checks: Check[] = [];
  const type = file.type || guessType(file.name);
  const typeOk = rule.mediaTypes.includes(type);
  checks.push({
    ok: typeOk,
    text: typeOk ? `${MEDIA_TYPE_LABELS[type] ?? type} file` : `Must be ${typeList(rule.mediaTypes)}; this file is ${describeFileType(type, file.name)}`,
  });
  if (file.size === 0) checks.push({ ok: false, text: 'The file is empty' });
  else if (file.size > rule.maxBytes) checks.push({ ok: false, text: `Too large: ${fmtBytes(file.size)}, at most ${fmtBytes(rule.maxBytes)}` });
  else if (rule.minBytes && file.size < rule.minBytes)
    checks.push({ ok: false, text: `Too small (${fmtBytes(file.size)}): at least ${fmtBytes(rule.minBytes)}; use a sharper photo` });
  else checks.push({ ok: true, text: `Size ${fmtBytes(file.size)}` });
  if (!photo || !typeOk || file.size === 0) return { checks };

  const url = await readAsDataUrl(file);
  const size = await imageSize(url);
  if (!size) {
    checks.push({ ok: false, text: 'The image cannot be read' });
    return { checks };
  }
  const { width, height } = size;
  const within = width >= photo.minWidth && width <= photo.maxWidth && height >= photo.minHeight && height <= photo.maxHeight;
  checks.push({
    ok: within,
    text: within
      ? `${width} × ${height} pixels`
      : `${width} × ${height} pixels; needs ${photo.minWidth}–${photo.maxWidth} wide and ${photo.minHeight}–${photo.maxHeight} high`,
  });
  if (photo.portrait)
    checks.push({ ok: height > width, text: height > width ? 'Portrait orientation' : 'Must be portrait (taller than wide); crop or rotate it' });
  return { checks, image: { url } };
}

function guessType(name: string): string {
  const ext = name.toLowerCase().slice(name.lastIndexOf('.'));
  return Object.entries(EXTENSIONS).find(([, exts]) => exts.includes(ext))?.[0] ?? '';
}

/** A data: URL, because the Content-Security-Policy allows images from data: but not blob:. */
function readAsDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('the file could not be read'));
    reader.readAsDataURL(file);
  });
}

function imageSize(url: string): Promise<{ width: number; height: number } | undefined> {
  return new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve({ width: img.naturalWidth, height: img.naturalHeight });
    img.onerror = () => resolve(undefined);
    img.src = url;
  });
}

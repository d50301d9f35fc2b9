/**
 * Paths in calls from the page. The page (the desktop renderer or the browser-mode page) never
 * names a file on this machine: a compromised page could otherwise write an export over ~/.bashrc,
 * read any file as an SSH config, import any file, or sign with any key. The four methods that take
 * a path accept from the page only a handle that stands for a path the user chose in a dialog the
 * main process opened (or that the backend read itself from the user's SSH config); the handle is
 * good only for the method its purpose names; replies name files to the page by their file name
 * only. The CLI and tests call the backend in-process and keep passing paths: those come from the
 * user's own shell.
 *
 * Browser mode has no native dialog. There the page may name an identity file by path, but only one
 * inside the folders `gopherscope serve --identity-dir` gave (default ~/.ssh), after symlinks are
 * resolved; exports and imports by path and another SSH config are refused (bundles move as a
 * download and an upload instead: serve/bundleRoutes.ts).
 */
import { randomBytes } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, isAbsolute, join, sep } from 'node:path';
import { FILE_HANDLE_PREFIX, type FilePurpose, type MethodName } from '../../shared/contract/api';
import { dispatch, type Handlers } from '../../shared/contract/dispatch';
import type { Reply } from '../../shared/contract/errors';

/** The path field of each method that takes one, and the purpose a handle for it must carry. */
export const PATH_FIELDS: Readonly<Partial<Record<MethodName, { readonly field: string; readonly purpose: FilePurpose }>>> = {
  'sessions.export': { field: 'path', purpose: 'export-bundle' },
  'sessions.import': { field: 'path', purpose: 'import-bundle' },
  'sshConfig.read': { field: 'path', purpose: 'ssh-config' },
  'hosts.add': { field: 'identityFile', purpose: 'identity-file' },
};

/** Handles are kept for the process's life, the oldest dropped past this many. */
const MAX_GRANTS = 512;

export class FileGrants {
  private readonly grants = new Map<string, { readonly path: string; readonly purpose: FilePurpose }>();

  grant(path: string, purpose: FilePurpose): string {
    const handle = FILE_HANDLE_PREFIX + randomBytes(16).toString('hex');
    this.grants.set(handle, { path, purpose });
    if (this.grants.size > MAX_GRANTS) this.grants.delete(this.grants.keys().next().value!);
    return handle;
  }

  /** The path a handle stands for, or null when it was never granted here or is for another purpose. */
  pathOf(handle: string, purpose: FilePurpose): string | null {
    const g = this.grants.get(handle);
    return g && g.purpose === purpose ? g.path : null;
  }
}

export interface PageFileRules {
  /** Browser mode: folders whose files the page may name as identity files. Absent in the desktop app. */
  readonly identityDirs?: readonly string[];
}

function inIdentityDirs(named: string, dirs: readonly string[]): string | null {
  const expanded = named === '~' || named.startsWith('~/') ? join(homedir(), named.slice(1)) : named;
  if (!isAbsolute(expanded)) return null;
  try {
    const real = realpathSync(expanded);
    if (!statSync(real).isFile()) return null;
    for (const d of dirs) {
      let root: string;
      try {
        root = realpathSync(d);
      } catch {
        continue;
      }
      if (real.startsWith(root.endsWith(sep) ? root : root + sep)) return real;
    }
  } catch {
    return null;
  }
  return null;
}

function refusal(method: string, field: string, rules: PageFileRules): Reply<unknown> {
  const browser = rules.identityDirs !== undefined;
  const hint = !browser
    ? 'Choose the file with the Choose… button; the app opens the dialog and keeps the path.'
    : field === 'identityFile'
      ? `In browser mode an identity file must be inside ${rules.identityDirs!.join(', ') || '(no folder)'}; start \`gopherscope serve --identity-dir DIR\` to allow another folder.`
      : 'Browser mode cannot open a file dialog: use Export and Import in the page (a download and an upload), or the CLI (`gopherscope export SESSION FILE`, `gopherscope import FILE`).';
  return { ok: false, error: { code: 'invalid-input', message: `${method}: ${field}: the page may not name a file on this machine.`, hint } };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * dispatch() for calls from the page: a path field must be a handle granted for its method (or, in
 * browser mode, an identity file in the allowed folders) and is replaced by the path before the
 * handler runs; the identity files of sshConfig.read go back to the page as handles.
 */
export async function dispatchFromPage(handlers: Handlers, grants: FileGrants, method: unknown, rawInput: unknown, rules: PageFileRules = {}): Promise<Reply<unknown>> {
  const rule = typeof method === 'string' && Object.hasOwn(PATH_FIELDS, method) ? PATH_FIELDS[method as MethodName] : undefined;
  let input = rawInput;
  if (rule && isRecord(rawInput) && rawInput[rule.field] !== undefined) {
    const named = rawInput[rule.field];
    let path = typeof named === 'string' ? grants.pathOf(named, rule.purpose) : null;
    if (path === null && typeof named === 'string' && rule.purpose === 'identity-file' && rules.identityDirs) path = inIdentityDirs(named, rules.identityDirs);
    if (path === null) return refusal(String(method), rule.field, rules);
    input = { ...rawInput, [rule.field]: path };
  }
  const reply = await dispatch(handlers, method, input);
  if (!reply.ok) return reply;
  // Paths go back to the page by their file name only: the paths stay here.
  if (method === 'sshConfig.read') {
    const value = reply.value as { path: string; hosts: Array<{ identityFiles: string[] }> };
    return { ok: true, value: { ...value, path: basename(value.path), hosts: value.hosts.map((h) => ({ ...h, identityFiles: h.identityFiles.map((f) => grants.grant(f, 'identity-file')) })) } };
  }
  if (method === 'sessions.export') return { ok: true, value: { ...(reply.value as { path: string }), path: basename((reply.value as { path: string }).path) } };
  const nameOnly = (h: { identityFile?: string }) => (h.identityFile ? { ...h, identityFile: basename(h.identityFile) } : h);
  if (method === 'hosts.add') return { ok: true, value: nameOnly(reply.value as { identityFile?: string }) };
  if (method === 'hosts.list') return { ok: true, value: (reply.value as Array<{ identityFile?: string }>).map(nameOnly) };
  return reply;
}

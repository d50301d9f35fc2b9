/**
 * Which renderer draws a terminal. WebGL where the browser has a GPU behind WebGL2; xterm's DOM
 * renderer where it has none, where WebGL is software (SwiftShader, llvmpipe: measured slower than
 * the DOM, bench/README.md), or when the context is lost. The user can force either; the choice
 * and the reason are shown in the terminal's info line.
 */
import type { Terminal } from '@xterm/xterm';
import { WebglAddon } from '@xterm/addon-webgl';

export type RendererChoice = 'auto' | 'webgl' | 'dom';
export const RENDERER_CHOICES: readonly RendererChoice[] = ['auto', 'webgl', 'dom'];

export type RendererInfo = { readonly kind: 'webgl'; readonly gl: string; readonly software: string | null } | { readonly kind: 'dom'; readonly reason: string };

const SOFTWARE_GL = /swiftshader|llvmpipe|softpipe|lavapipe|microsoft basic render|software/i;

/** The name of a software GL implementation in a GL renderer string, or null for a GPU. */
export function softwareGl(glRenderer: string): string | null {
  const m = SOFTWARE_GL.exec(glRenderer);
  if (!m) return null;
  return /swiftshader/i.test(m[0]) ? 'SwiftShader' : m[0];
}

let probed: { readonly gl: string } | { readonly error: string } | null = null;

/** Whether this page gets a WebGL2 context, and the GL renderer's name; asked once, from a throwaway context. */
export function probeWebgl(): { readonly gl: string } | { readonly error: string } {
  if (probed) return probed;
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return (probed = { error: 'this browser gives no WebGL2 context' });
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const name = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return (probed = { gl: name });
}

export function rendererLabel(r: RendererInfo): string {
  if (r.kind === 'dom') return `DOM renderer: ${r.reason}`;
  return r.software ? `WebGL, software (${r.software})` : 'WebGL';
}

/**
 * Attaches the renderer `choice` asks for to an opened terminal and reports what draws it, now and
 * after a lost WebGL context. Returns a function that detaches WebGL (xterm then draws with the DOM).
 */
export function attachRenderer(t: Terminal, choice: RendererChoice, report: (info: RendererInfo) => void): () => void {
  if (choice === 'dom') {
    report({ kind: 'dom', reason: 'chosen' });
    return () => undefined;
  }
  const probe = probeWebgl();
  if ('error' in probe) {
    report({ kind: 'dom', reason: `WebGL unavailable (${probe.error})` });
    return () => undefined;
  }
  const software = softwareGl(probe.gl);
  if (software && choice === 'auto') {
    report({ kind: 'dom', reason: `WebGL here is software (${software}), slower than the DOM` });
    return () => undefined;
  }
  let addon: WebglAddon | null = null;
  try {
    addon = new WebglAddon();
    t.loadAddon(addon);
  } catch (err) {
    addon?.dispose();
    report({ kind: 'dom', reason: `WebGL failed (${err instanceof Error ? err.message : String(err)})` });
    return () => undefined;
  }
  const webgl = addon;
  report({ kind: 'webgl', gl: probe.gl, software });
  const lost = webgl.onContextLoss(() => {
    webgl.dispose();
    report({ kind: 'dom', reason: 'the WebGL context was lost' });
  });
  return () => {
    lost.dispose();
    webgl.dispose();
  };
}

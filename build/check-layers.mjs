#!/usr/bin/env node
// The layer lint: the folder is the runtime. Fails the build when
// - shared/ imports anything but relative files inside shared/ and the pure packages in PURE (tests may also use
//   node:test, node:assert, node:fs, node:path and fast-check), or uses Node/DOM globals;
// - renderer/ imports Node, Electron, native packages or electron/ code;
// - any file other than electron/ipcMain.ts touches ipcMain, or other than electron/preload.ts
//   touches ipcRenderer;
// - a file of electron/ other than electron/core/remoteScripts.ts writes shell: passes a built string (a
//   template literal with substitutions, a concatenation, an array's join, or a const holding one) to
//   exec( / .exec( / .execStream( or as collect()'s script. SQLite's db.exec takes SQL, not shell.
// Usage: node build/check-layers.mjs [--root DIR]
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const argRoot = process.argv.indexOf('--root');
const root = resolve(argRoot >= 0 ? process.argv[argRoot + 1] : fileURLToPath(new URL('..', import.meta.url)));
const SKIP = new Set(['node_modules', 'dist', '.git', '.lab', 'test-results', '.scratch']);
const violations = [];

function walk(dir, out = []) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (SKIP.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|tsx|mts|mjs|js)$/.test(name)) out.push(p);
  }
  return out;
}

/** Comments and string contents removed, line structure kept, so identifiers are checked only in code. */
function codeOnly(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/\/\/[^\n]*/g, '')
    .replace(/(['"`])(?:\\.|(?!\1)[^\\\n])*\1/g, (m) => m[0] + ' '.repeat(Math.max(0, m.length - 2)) + m[0]);
}

function imports(text) {
  const found = [];
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;
  let m;
  while ((m = re.exec(text))) {
    const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
    found.push({ spec, line: text.slice(0, m.index).split('\n').length });
  }
  return found;
}

const rel = (p) => relative(root, p).split(sep).join('/');
const flag = (file, line, message) => violations.push(`${rel(file)}:${line}: ${message}`);

const PURE = new Set(['zod', 'pprof-format', 'fflate']);
const TEST_ONLY = new Set(['node:test', 'node:assert', 'node:assert/strict', 'node:fs', 'node:path', 'node:url', 'fast-check']);
for (const file of walk(join(root, 'shared'))) {
  const text = readFileSync(file, 'utf8');
  const isTest = /\.test\.tsx?$/.test(file);
  for (const { spec, line } of imports(text)) {
    if (spec.startsWith('.')) {
      const target = resolve(dirname(file), spec);
      const testSupport = isTest && target.startsWith(join(root, 'test') + sep);
      if (!target.startsWith(join(root, 'shared') + sep) && !testSupport) flag(file, line, `shared/ may not import ${spec} (outside shared/)`);
    } else if (PURE.has(spec)) {
      // pure JavaScript packages with no Node, DOM or Electron use: zod (the contract's validator),
      // pprof-format (pprof protobuf), fflate (gzip, for pprof bodies)
    } else if (isTest && TEST_ONLY.has(spec)) {
      // tests run in Node
    } else flag(file, line, `shared/ may not import ${spec}${isTest ? '' : ' (shared/ is runtime-free: no Node, DOM or Electron)'}`);
  }
  if (!isTest) {
    const code = codeOnly(text).split('\n');
    code.forEach((l, i) => {
      const m = /\b(process\.|Buffer\b|require\(|window\.|document\.|globalThis\.process|__dirname)/.exec(l);
      if (m) flag(file, i + 1, `shared/ uses the runtime global ${m[1]}`);
    });
  }
}

const RENDERER_BANNED = [/^node:/, /^electron$/, /^ssh2$/, /^sqlite3$/, /^ws$/, /^fs$/, /^path$/, /^child_process$/];
for (const file of walk(join(root, 'renderer'))) {
  if (/vite\.config\.ts$/.test(file) || /\.test\.tsx?$/.test(file)) continue;
  const text = readFileSync(file, 'utf8');
  for (const { spec, line } of imports(text)) {
    if (RENDERER_BANNED.some((re) => re.test(spec))) flag(file, line, `renderer/ may not import ${spec}: it reaches the backend only through shared/contract`);
    if (spec.startsWith('.') && resolve(dirname(file), spec).startsWith(join(root, 'electron') + sep)) flag(file, line, `renderer/ may not import electron/ code (${spec})`);
  }
}

for (const [ident, owner] of [
  ['ipcMain', 'electron/ipcMain.ts'],
  ['ipcRenderer', 'electron/preload.ts'],
]) {
  for (const file of [...walk(join(root, 'electron')), ...walk(join(root, 'renderer'))]) {
    if (rel(file) === owner) continue;
    const code = codeOnly(readFileSync(file, 'utf8')).split('\n');
    code.forEach((l, i) => {
      if (new RegExp(`\\b${ident}\\b`).test(l)) flag(file, i + 1, `only ${owner} may touch ${ident}`);
    });
  }
}

// Shell is written in one place: electron/core/remoteScripts.ts.
const SHELL_OWNER = 'electron/core/remoteScripts.ts';
/** A string made at run time: a template with substitutions, a concatenation, or an array's join. */
function isBuilt(node, consts) {
  while (ts.isParenthesizedExpression(node) || ts.isAsExpression(node)) node = node.expression;
  if (ts.isTemplateExpression(node)) return true;
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) return true;
  if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'join') return true;
  if (ts.isIdentifier(node) && consts.has(node.text)) return isBuilt(consts.get(node.text), new Map());
  return false;
}
for (const file of walk(join(root, 'electron'))) {
  if (rel(file) === SHELL_OWNER || /\.test\.[cm]?[jt]sx?$/.test(file)) continue;
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  // Shell idioms in a string (redirections, command substitution, our frame marker) are shell text too.
  const literal = (node) => {
    if (
      (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) &&
      /@@GS1|2>&1|[12]?>\/dev\/null|\$\(|command -v /.test(node.text)
    )
      flag(file, sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, `shell text outside ${SHELL_OWNER}: build it there`);
    ts.forEachChild(node, literal);
  };
  literal(sf);
  const consts = new Map();
  const visit = (node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) consts.set(node.name.text, node.initializer);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  const check = (node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      let arg;
      if (ts.isIdentifier(callee) && callee.text === 'exec') arg = node.arguments[0];
      else if (ts.isIdentifier(callee) && callee.text === 'collect') arg = node.arguments[1];
      else if (ts.isPropertyAccessExpression(callee) && ['exec', 'execStream'].includes(callee.name.text) && !/(^|\.)db$/.test(callee.expression.getText(sf))) arg = node.arguments[0];
      if (arg && isBuilt(arg, consts))
        flag(
          file,
          sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1,
          `a shell command built outside ${SHELL_OWNER}: add a builder there (validated integers and fixed names only) and call it`,
        );
    }
    ts.forEachChild(node, check);
  };
  check(sf);
}

if (violations.length > 0) {
  console.error(`layer check: ${violations.length} violation(s)`);
  for (const v of violations) console.error(`  ${v}`);
  process.exit(1);
}
console.log('layer check: ok');

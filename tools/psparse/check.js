#!/usr/bin/env node
// check.js: checks PowerShell files for Windows PowerShell 5.1 with the
// tree-sitter-powershell grammar (its wasm build, run by web-tree-sitter:
// no native code, so it installs the same everywhere).
//
// Usage: node check.js [--cmdlets FILE] [--module FILE]... FILE...
//
// Always: one line per ERROR or MISSING node (file:line:col), and per
// construct that Windows PowerShell 5.1 rejects or reads differently (&&,
// ||, -Parallel, PowerShell 6+ variables, .NET Core-only members, a
// non-ASCII character in a file without a byte order mark). With
// --cmdlets (the cmdlet reference, cmdlets-5.1.json), also per command that
// 5.1 would not run as written (ps51.js): an unknown command, an unknown or
// ambiguous parameter, arguments no parameter set takes. A --module's
// exported functions are known in files that import a module; every FILE's
// param block is known to calls of it by file name. Then "N files parsed,
// M errors"; exits 1 when M > 0, 2 on a usage or I/O error.
'use strict';

// Liftoff only: V8's optimizing tier would otherwise compile the grammar's
// large wasm lexer in the background for seconds, and node waits for it
// before exiting. Liftoff parses a 1,000-line script in tens of ms.
require('node:v8').setFlagsFromString('--liftoff-only');

const fs = require('node:fs');
const path = require('node:path');
const { Parser, Language } = require('web-tree-sitter');
const { Cmdlets, Checker, syntax51 } = require('./ps51.js');

const grammar = path.join(
  path.dirname(require.resolve('tree-sitter-powershell/package.json')),
  'tree-sitter-powershell.wasm',
);

// Constructs the grammar accepts that Windows PowerShell 5.1 does not (the
// grammar itself already rejects ?., ?? and the ternary operator).
const ps7Only = [
  { type: 'pipeline_chain_tail', what: '&& and || need PowerShell 7' },
  { type: 'command_parameter', text: /^-parallel$/i, what: '-Parallel needs PowerShell 7' },
];

// problems returns [node, message] per ERROR or MISSING node of a syntax
// tree, and per construct Windows PowerShell 5.1 would reject (a
// parameter only when the commands are not checked).
function problems(tree, checked) {
  const out = [];
  const cursor = tree.walk();
  for (let more = true; more;) {
    const node = cursor.currentNode;
    if (node.isMissing) {
      out.push([node, `MISSING ${node.type}`]);
    } else if (node.isError) {
      const text = node.text.split(/\r?\n/)[0].slice(0, 60);
      out.push([node, `ERROR near ${JSON.stringify(text)}`]);
    }
    for (const c of ps7Only) {
      if (c.text && checked) continue; // the command check says which cmdlet lacks it
      if (node.type === c.type && (!c.text || c.text.test(node.text))) {
        out.push([node, `ERROR ${c.what} (scripts run in Windows PowerShell 5.1)`]);
      }
    }
    if (cursor.gotoFirstChild() || cursor.gotoNextSibling()) continue;
    for (more = false; cursor.gotoParent();) {
      if (cursor.gotoNextSibling()) { more = true; break; }
    }
  }
  cursor.delete();
  return out;
}

// where formats a node's start as file:line:col (1-based).
function where(file, node) {
  const p = node.startPosition;
  return `${file}:${p.row + 1}:${p.column + 1}`;
}

// readScript reads a script as Windows PowerShell does: UTF-8 or UTF-16
// after their byte order mark (tree-sitter would see U+FEFF as text), else
// (no mark) as bytes that only ASCII reads the same in every code page.
function readScript(file) {
  const b = fs.readFileSync(file);
  if (b[0] === 0xEF && b[1] === 0xBB && b[2] === 0xBF) return { text: b.subarray(3).toString('utf8'), bom: true };
  if (b[0] === 0xFF && b[1] === 0xFE) return { text: b.subarray(2).toString('utf16le'), bom: true };
  if (b[0] === 0xFE && b[1] === 0xFF) return { text: Buffer.from(b.subarray(2)).swap16().toString('utf16le'), bom: true };
  return { text: b.toString('utf8'), bom: false };
}

// parseArgs reads the options and the files.
function parseArgs(argv) {
  const opts = { cmdlets: '', modules: [], files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--cmdlets' || a === '--module') {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a file`);
      if (a === '--cmdlets') opts.cmdlets = argv[++i];
      else opts.modules.push(argv[++i]);
    } else {
      opts.files.push(a);
    }
  }
  return opts;
}

async function main(argv) {
  const opts = parseArgs(argv);
  if (opts.files.length === 0) {
    console.error('usage: node check.js [--cmdlets FILE] [--module FILE]... FILE...');
    return 2;
  }
  await Parser.init();
  const parser = new Parser();
  parser.setLanguage(await Language.load(grammar));
  const parse = (file) => parser.parse(readScript(file).text);
  const trees = opts.files.map((file) => {
    const r = readScript(file);
    return { file, ...r, tree: parser.parse(r.text) };
  });
  let checker = null;
  if (opts.cmdlets) {
    checker = new Checker(new Cmdlets(opts.cmdlets));
    for (const m of opts.modules) {
      const t = parse(m);
      checker.addModule(t);
      t.delete();
    }
    for (const { file, tree } of trees) checker.addScript(file, tree);
  }
  let errors = 0;
  for (const { file, tree, text, bom } of trees) {
    const found = problems(tree, !!checker);
    const i = bom ? -1 : text.search(/[^\x00-\x7F]/);
    if (i >= 0) {
      const before = text.slice(0, i).split('\n');
      const at = { startPosition: { row: before.length - 1, column: before[before.length - 1].length } };
      const code = text.codePointAt(i).toString(16).toUpperCase().padStart(4, '0');
      found.push([at, `ERROR U+${code} in a script without a byte order mark: Windows PowerShell 5.1 reads such a script ` +
        'in the ANSI code page (write it with a BOM, or keep it ASCII)']);
    }
    const semantic = [];
    syntax51(tree, semantic);
    if (checker) semantic.push(...checker.check(file, tree));
    for (const [node, msg] of semantic) found.push([node, `ERROR ${msg}`]);
    const pos = ([n]) => n.startPosition.row * 1e6 + n.startPosition.column;
    found.sort((a, b) => pos(a) - pos(b));
    // An ERROR node may hold another at its start: each line once.
    for (const line of new Set(found.map(([node, msg]) => `${where(file, node)}: ${msg}`))) {
      console.log(line);
      errors++;
    }
    tree.delete();
  }
  if (checker) {
    const c = checker.counts;
    console.log(`${c.commands} commands checked against Windows PowerShell 5.1: ${c.cmdlet} cmdlets, ${c.function} functions, ` +
      `${c.script} scripts, ${c.native} native programs, ${c.dynamic} computed at run time (not checked)`);
  }
  console.log(`${opts.files.length} files parsed, ${errors} errors`);
  return errors === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`psparse: ${err.message}`); process.exitCode = 2; },
);

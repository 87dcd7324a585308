#!/usr/bin/env node
// check.js: parse-checks PowerShell files with the tree-sitter-powershell
// grammar (its wasm build, run by web-tree-sitter: no native code, so it
// installs the same everywhere). Usage: node check.js FILE...
// Prints one line per ERROR or MISSING node (file:line:col), and per
// construct that Windows PowerShell 5.1 rejects (&&, ||, -Parallel), then
// "N files parsed, M errors"; exits 1 when M > 0, 2 on a usage or I/O error.
'use strict';

// Liftoff only: V8's optimizing tier would otherwise compile the grammar's
// large wasm lexer in the background for seconds, and node waits for it
// before exiting. Liftoff parses a 1,000-line script in tens of ms.
require('node:v8').setFlagsFromString('--liftoff-only');

const fs = require('node:fs');
const path = require('node:path');
const { Parser, Language } = require('web-tree-sitter');

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

// problems returns one message per ERROR or MISSING node of a syntax tree,
// and per construct Windows PowerShell 5.1 would reject.
function problems(file, tree) {
  const out = [];
  const cursor = tree.walk();
  for (let more = true; more;) {
    const node = cursor.currentNode;
    if (node.isMissing) {
      out.push(`${where(file, node)}: MISSING ${node.type}`);
    } else if (node.isError) {
      const text = node.text.split(/\r?\n/)[0].slice(0, 60);
      out.push(`${where(file, node)}: ERROR near ${JSON.stringify(text)}`);
    }
    for (const c of ps7Only) {
      if (node.type === c.type && (!c.text || c.text.test(node.text))) {
        out.push(`${where(file, node)}: ERROR ${c.what} (scripts run in Windows PowerShell 5.1)`);
      }
    }
    if (cursor.gotoFirstChild() || cursor.gotoNextSibling()) continue;
    for (more = false; cursor.gotoParent();) {
      if (cursor.gotoNextSibling()) { more = true; break; }
    }
  }
  cursor.delete();
  return [...new Set(out)]; // an ERROR node may hold another at its start
}

// where formats a node's start as file:line:col (1-based).
function where(file, node) {
  const p = node.startPosition;
  return `${file}:${p.row + 1}:${p.column + 1}`;
}

async function main(files) {
  if (files.length === 0) {
    console.error('usage: node check.js FILE...');
    return 2;
  }
  await Parser.init();
  const parser = new Parser();
  parser.setLanguage(await Language.load(grammar));
  let errors = 0;
  for (const file of files) {
    // Windows PowerShell reads a BOM; tree-sitter would see U+FEFF as text.
    const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
    const tree = parser.parse(text);
    for (const line of problems(file, tree)) {
      console.log(line);
      errors++;
    }
    tree.delete();
  }
  console.log(`${files.length} files parsed, ${errors} errors`);
  return errors === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`psparse: ${err.message}`); process.exitCode = 2; },
);

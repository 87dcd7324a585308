// ps51.js: checks the commands of PowerShell syntax trees against what
// Windows PowerShell 5.1 has: every command is a cmdlet of the reference
// (cmdlets-5.1.json: Windows PowerShell 5.1 and the Windows Server 2022
// modules, from the SYNTAX sections of Microsoft's reference), a function
// the script defines or imports, a script of the batch, an alias, or a
// native program; every named parameter is one of the command's (or a
// common parameter, or an unambiguous prefix of one); some parameter set
// takes the arguments given. It also flags what only PowerShell 6 and later
// (or .NET Core) have. check.js drives it.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

// The common parameters of cmdlets and advanced functions, with their
// aliases (about_CommonParameters, 5.1). WhatIf and Confirm are in the
// reference's sets where a cmdlet has them.
// https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_commonparameters?view=powershell-5.1
const commonParams = [
  ['Verbose', 'switch', ['vb']], ['Debug', 'switch', ['db']],
  ['ErrorAction', 'ActionPreference', ['ea']], ['WarningAction', 'ActionPreference', ['wa']],
  ['InformationAction', 'ActionPreference', ['infa']], ['ErrorVariable', 'String', ['ev']],
  ['WarningVariable', 'String', ['wv']], ['InformationVariable', 'String', ['iv']],
  ['OutVariable', 'String', ['ov']], ['OutBuffer', 'Int32', ['ob']], ['PipelineVariable', 'String', ['pv']],
].map(([name, type, aliases]) => ({ name, type, isSwitch: type === 'switch', aliases }));

// ActionPreference in 5.1 (Break came with 7.0).
// https://learn.microsoft.com/dotnet/api/system.management.automation.actionpreference?view=powershellsdk-1.1.0
const actionPreferences = ['silentlycontinue', 'stop', 'continue', 'inquire', 'ignore', 'suspend'];

// -Encoding values of the 5.1 cmdlets (FileSystemCmdletProviderEncoding and
// Out-File's set); utf8NoBOM, utf8BOM and ansi came with 6.0 and 7.4.
// https://learn.microsoft.com/powershell/module/microsoft.powershell.management/set-content?view=powershell-5.1
const encodings51 = ['unknown', 'string', 'unicode', 'bigendianunicode', 'bigendianutf32', 'utf8', 'utf7', 'utf32',
  'ascii', 'default', 'oem', 'byte'];

// Parameters that PowerShell 6 and later added to 5.1 cmdlets: an unknown
// parameter named here gets that reason.
const ps6Params = {
  'convertfrom-json': ['AsHashtable', 'Depth', 'NoEnumerate'],
  'convertto-json': ['AsArray', 'EnumsAsStrings', 'EscapeHandling'],
  'get-content': ['AsByteStream'], 'set-content': ['AsByteStream'], 'add-content': ['AsByteStream'],
  'foreach-object': ['Parallel', 'ThrottleLimit', 'TimeoutSeconds', 'AsJob', 'UseNewRunspace'],
  'invoke-webrequest': ['SkipCertificateCheck', 'SkipHttpErrorCheck', 'SslProtocol', 'Authentication', 'Token',
    'MaximumRetryCount', 'RetryIntervalSec', 'Form', 'Resume', 'StatusCodeVariable', 'NoProxy', 'HttpVersion'],
  'invoke-restmethod': ['SkipCertificateCheck', 'SkipHttpErrorCheck', 'SslProtocol', 'Authentication', 'Token',
    'MaximumRetryCount', 'RetryIntervalSec', 'Form', 'Resume', 'StatusCodeVariable', 'ResponseHeadersVariable',
    'NoProxy', 'HttpVersion'],
  'get-date': ['AsUTC', 'UnixTimeSeconds'],
  'start-process': ['Environment'],
  'join-path': ['AdditionalChildPath'],
  'split-path': ['LeafBase', 'Extension'],
  'where-object': ['Not'],
  'get-childitem': ['FollowSymlink'],
  'test-connection': ['TargetName', 'Ping', 'IPv4', 'IPv6', 'TcpPort', 'Traceroute', 'MtuSize', 'Repeat', 'Detailed'],
  'select-string': ['Raw', 'NoEmphasis'],
};

// Automatic variables that PowerShell 6 and later define ($null in 5.1).
// https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_automatic_variables
const ps6Variables = ['iswindows', 'islinux', 'ismacos', 'iscoreclr', 'psstyle', 'psnativecommandargumentpassing',
  'psnativecommanduseerroractionpreference', 'enabledexperimentalfeatures'];

// Types and static members of .NET Core / .NET 5+ (PowerShell 7) that
// Windows PowerShell 5.1's .NET Framework 4.x lacks, keyed by type name
// without "System." (lower case); [] means the type itself.
const netCoreOnly = {
  'convert': ['ToHexString', 'ToHexStringLower', 'FromHexString'],
  'io.path': ['GetRelativePath', 'Join', 'IsPathFullyQualified', 'TrimEndingDirectorySeparator', 'EndsInDirectorySeparator', 'Exists'],
  'text.encoding': ['Latin1'],
  'environment': ['ProcessPath', 'ProcessId'],
  'operatingsystem': ['IsWindows', 'IsLinux', 'IsMacOS', 'IsWindowsVersionAtLeast'],
  'security.cryptography.sha256': ['HashData'], 'security.cryptography.sha1': ['HashData'],
  'security.cryptography.sha384': ['HashData'], 'security.cryptography.sha512': ['HashData'],
  'security.cryptography.md5': ['HashData'], 'security.cryptography.randomnumbergenerator': ['GetBytes', 'GetInt32', 'Fill'],
  'io.file': ['ReadAllTextAsync', 'ReadAllBytesAsync', 'ReadAllLinesAsync', 'WriteAllTextAsync', 'WriteAllBytesAsync',
    'AppendAllTextAsync', 'CreateSymbolicLink', 'ResolveLinkTarget'],
  'io.directory': ['CreateSymbolicLink', 'ResolveLinkTarget'],
  'management.automation.semanticversion': [], 'semver': [], 'hashcode': [], 'range': [], 'index': [],
  'text.json.jsonserializer': [], 'text.json.jsondocument': [],
};

// The default aliases of Windows PowerShell 5.1 (Get-Alias on a clean
// host) that name cmdlets. `sc` is Set-Content, not sc.exe; curl and wget
// are Invoke-WebRequest (PowerShell 6 removed these three).
// https://learn.microsoft.com/powershell/scripting/learn/shell/using-aliases?view=powershell-5.1
const aliases51 = {
  '%': 'ForEach-Object', '?': 'Where-Object', ac: 'Add-Content', cat: 'Get-Content', cd: 'Set-Location',
  chdir: 'Set-Location', clc: 'Clear-Content', clear: 'Clear-Host', clhy: 'Clear-History', cli: 'Clear-Item',
  clp: 'Clear-ItemProperty', cls: 'Clear-Host', clv: 'Clear-Variable', cnsn: 'Connect-PSSession',
  compare: 'Compare-Object', copy: 'Copy-Item', cp: 'Copy-Item', cpi: 'Copy-Item', cpp: 'Copy-ItemProperty',
  curl: 'Invoke-WebRequest', cvpa: 'Convert-Path', dbp: 'Disable-PSBreakpoint', del: 'Remove-Item',
  diff: 'Compare-Object', dir: 'Get-ChildItem', dnsn: 'Disconnect-PSSession', ebp: 'Enable-PSBreakpoint',
  echo: 'Write-Output', epal: 'Export-Alias', epcsv: 'Export-Csv', epsn: 'Export-PSSession', erase: 'Remove-Item',
  etsn: 'Enter-PSSession', exsn: 'Exit-PSSession', fc: 'Format-Custom', fhx: 'Format-Hex', fl: 'Format-List',
  foreach: 'ForEach-Object', ft: 'Format-Table', fw: 'Format-Wide', gal: 'Get-Alias', gbp: 'Get-PSBreakpoint',
  gc: 'Get-Content', gcb: 'Get-Clipboard', gci: 'Get-ChildItem', gcm: 'Get-Command', gcs: 'Get-PSCallStack',
  gdr: 'Get-PSDrive', ghy: 'Get-History', gi: 'Get-Item', gin: 'Get-ComputerInfo', gjb: 'Get-Job',
  gl: 'Get-Location', gm: 'Get-Member', gmo: 'Get-Module', gp: 'Get-ItemProperty', gpv: 'Get-ItemPropertyValue',
  gps: 'Get-Process', group: 'Group-Object', gsn: 'Get-PSSession', gsv: 'Get-Service', gtz: 'Get-TimeZone',
  gu: 'Get-Unique', gv: 'Get-Variable', gwmi: 'Get-WmiObject', h: 'Get-History', history: 'Get-History',
  icm: 'Invoke-Command', iex: 'Invoke-Expression', ihy: 'Invoke-History', ii: 'Invoke-Item', ipal: 'Import-Alias',
  ipcsv: 'Import-Csv', ipmo: 'Import-Module', ipsn: 'Import-PSSession', irm: 'Invoke-RestMethod',
  iwmi: 'Invoke-WmiMethod', iwr: 'Invoke-WebRequest', kill: 'Stop-Process', ls: 'Get-ChildItem',
  measure: 'Measure-Object', mi: 'Move-Item', mount: 'New-PSDrive', move: 'Move-Item', mp: 'Move-ItemProperty',
  mv: 'Move-Item', nal: 'New-Alias', ndr: 'New-PSDrive', ni: 'New-Item', nmo: 'New-Module', nsn: 'New-PSSession',
  nv: 'New-Variable', ogv: 'Out-GridView', oh: 'Out-Host', popd: 'Pop-Location', ps: 'Get-Process',
  pushd: 'Push-Location', pwd: 'Get-Location', r: 'Invoke-History', rbp: 'Remove-PSBreakpoint',
  rcjb: 'Receive-Job', rcsn: 'Receive-PSSession', rd: 'Remove-Item', rdr: 'Remove-PSDrive', ren: 'Rename-Item',
  ri: 'Remove-Item', rjb: 'Remove-Job', rm: 'Remove-Item', rmdir: 'Remove-Item', rmo: 'Remove-Module',
  rni: 'Rename-Item', rnp: 'Rename-ItemProperty', rp: 'Remove-ItemProperty', rsn: 'Remove-PSSession',
  rujb: 'Resume-Job', rv: 'Remove-Variable', rvpa: 'Resolve-Path', rwmi: 'Remove-WmiObject', sajb: 'Start-Job',
  sal: 'Set-Alias', saps: 'Start-Process', sasv: 'Start-Service', sbp: 'Set-PSBreakpoint', sc: 'Set-Content',
  scb: 'Set-Clipboard', select: 'Select-Object', set: 'Set-Variable', shcm: 'Show-Command', si: 'Set-Item',
  sl: 'Set-Location', sleep: 'Start-Sleep', sls: 'Select-String', sort: 'Sort-Object', sp: 'Set-ItemProperty',
  spjb: 'Stop-Job', spps: 'Stop-Process', spsv: 'Stop-Service', start: 'Start-Process', stz: 'Set-TimeZone',
  sujb: 'Suspend-Job', sv: 'Set-Variable', swmi: 'Set-WmiInstance', tee: 'Tee-Object', trcm: 'Trace-Command',
  type: 'Get-Content', wget: 'Invoke-WebRequest', where: 'Where-Object', wjb: 'Wait-Job', write: 'Write-Output',
};

// Parameters that take the arguments left over (ValueFromRemainingArguments),
// which the reference does not record: `Write-Host a b`.
const remainingArgs = { 'write-host': 'Object', 'write-output': 'InputObject', 'foreach-object': 'RemainingScripts' };

// Provider dynamic parameters, which the reference's SYNTAX sections leave
// out: New-Item on WSMan:\localhost\Listener creates a listener.
// https://learn.microsoft.com/dotnet/api/microsoft.wsman.management.wsmanproviderslistenerparameters
const providerSets = [{
  cmdlet: 'new-item',
  path: /^wsman:\\localhost\\listener\\?$/i,
  set: {
    name: 'WSMan provider: Listener', params: [['Path', 'string[]', true, true], ['Address', 'string', false, false],
      ['Transport', 'string', false, false], ['CertificateThumbPrint', 'string', false, false],
      ['HostName', 'string', false, false], ['Enabled', 'bool', false, false], ['URLPrefix', 'string', false, false],
      ['Port', 'int', false, false], ['Force', 'switch', false, false], ['WhatIf', 'switch', false, false],
      ['Confirm', 'switch', false, false]],
  },
}];

// System32 programs a script may start by name without an extension.
const natives = ['auditpol', 'bcdedit', 'certutil', 'cmd', 'cscript', 'dism', 'icacls', 'ipconfig', 'msiexec', 'net',
  'netsh', 'ping', 'reg', 'robocopy', 'schtasks', 'secedit', 'shutdown', 'takeown', 'taskkill', 'tasklist', 'whoami',
  'wevtutil', 'xcopy'];

const nativeExt = /\.(exe|com|bat|cmd|msc|vbs)$/i;

const lower = (s) => s.toLowerCase();

// param makes a parameter from a reference entry [name, type, positional, mandatory].
function refParam([name, type, positional, mandatory]) {
  return { name, type, isSwitch: type === 'switch', positional, mandatory, aliases: [] };
}

// Cmdlets is the reference: cmdlet name (lower case) -> signature, each
// built when first asked for.
class Cmdlets {
  constructor(file) {
    const data = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (!data || typeof data.cmdlets !== 'object') throw new Error(`${file}: no "cmdlets" object`);
    this.raw = new Map(Object.entries(data.cmdlets).map(([name, c]) => [lower(name), { name, c }]));
    this.built = new Map();
  }

  get(name) {
    const key = lower(name);
    if (!this.built.has(key)) {
      const r = this.raw.get(key);
      this.built.set(key, r && signature('cmdlet', r.name, r.c.parameter_sets.map((s) => ({
        name: s.name, params: s.params.map(refParam),
      })), { advanced: true, remaining: remainingArgs[key] }));
    }
    return this.built.get(key);
  }
}

// nodesOf returns a tree's nodes of a type, in document order, from one
// walk of the tree per batch of types (crossing into wasm per node is
// what costs).
const indexTypes = ['function_statement', 'command', 'variable', 'type_literal', 'invokation_expression', 'assignment_expression'];
const indexes = new WeakMap();
function nodesOf(tree, type) {
  let idx = indexes.get(tree);
  if (!idx) {
    idx = new Map(indexTypes.map((t) => [t, []]));
    const cursor = tree.walk();
    for (let more = true; more;) {
      const list = idx.get(cursor.nodeType);
      if (list) list.push(cursor.currentNode);
      if (cursor.gotoFirstChild() || cursor.gotoNextSibling()) continue;
      for (more = false; cursor.gotoParent();) {
        if (cursor.gotoNextSibling()) { more = true; break; }
      }
    }
    cursor.delete();
    indexes.set(tree, idx);
  }
  return idx.get(type);
}

// signature indexes a command's parameter sets: every parameter by its
// name and aliases (lower case), common parameters for cmdlets and
// advanced functions.
function signature(kind, name, sets, opts) {
  const sig = { kind, name, sets, advanced: opts.advanced, extraArgs: !!opts.extraArgs,
    remaining: opts.remaining && lower(opts.remaining), params: new Map(), names: new Map() };
  const add = (p) => {
    const key = lower(p.name);
    if (!sig.params.has(key)) sig.params.set(key, p);
    for (const n of [p.name, ...p.aliases]) if (!sig.names.has(lower(n))) sig.names.set(lower(n), key);
  };
  for (const s of sets) s.params.forEach(add);
  if (sig.advanced) commonParams.forEach(add);
  sig.common = new Set(sig.advanced ? commonParams.map((p) => lower(p.name)) : []);
  return sig;
}

// resolveParam finds the parameter a -Name means, as PowerShell does: an
// exact name or alias, else the one parameter whose name or alias starts
// with it. {key} or {error}.
function resolveParam(sig, given) {
  const g = lower(given);
  if (sig.names.has(g)) return { key: sig.names.get(g) };
  const keys = new Set();
  for (const [n, key] of sig.names) if (n.startsWith(g)) keys.add(key);
  if (keys.size === 1) return { key: [...keys][0] };
  if (keys.size > 1) {
    const names = [...keys].map((k) => sig.params.get(k).name).sort();
    return { error: `ambiguous parameter -${given} of ${sig.name}: ${names.map((n) => '-' + n).join(', ')}` };
  }
  const newer = (ps6Params[lower(sig.name)] || []).find((p) => lower(p).startsWith(g));
  if (newer) return { error: `-${newer} of ${sig.name} needs PowerShell 6 or later (Windows PowerShell 5.1 has no such parameter)` };
  const args = sig.kind === 'cmdlet' || sig.advanced ? '' : ' (a function without [CmdletBinding()] would take it into $args)';
  return { error: `${sig.name} has no parameter -${given}${args}` };
}

// acceptingSet returns '' when some parameter set of sig takes the bound
// parameters (keys) and n positional arguments with every mandatory
// parameter bound, allowing `spare` mandatory ones unbound (pipeline
// input, an unresolved splat); else why each set does not (each reason
// once). Positional arguments bind first to mandatory positional
// parameters: the reference records which parameters are positional, not
// their order.
function acceptingSet(sig, keys, n, spare) {
  const why = [];
  for (const set of sig.sets) {
    const inSet = new Map(set.params.map((p) => [lower(p.name), p]));
    const foreign = [...keys].filter((k) => !inSet.has(k) && !sig.common.has(k));
    if (foreign.length) {
      why.push(`-${foreign.map((k) => sig.params.get(k).name).join(', -')} not in the set`);
      continue;
    }
    const free = set.params.filter((p) => p.positional && !keys.has(lower(p.name)));
    free.sort((a, b) => Number(b.mandatory) - Number(a.mandatory));
    const byPosition = new Set(free.slice(0, n).map((p) => lower(p.name)));
    const over = n - free.length;
    if (over > 0 && !sig.extraArgs && !(sig.remaining && inSet.has(sig.remaining)) && spare !== Infinity) {
      why.push(`${free.length} positional parameter(s) left for ${n} positional argument(s)`);
      continue;
    }
    const missing = set.params.filter((p) => p.mandatory && !keys.has(lower(p.name)) && !byPosition.has(lower(p.name)));
    if (missing.length > spare) {
      why.push(`mandatory -${missing.map((p) => p.name).join(', -')} not given`);
      continue;
    }
    return '';
  }
  return [...new Set(why)].join('; ');
}

// text of a string literal or bare word without its quotes; null when it
// is not a constant.
function constantText(node) {
  let n = node;
  while (n && (n.type === 'array_literal_expression' || n.type === 'unary_expression') && n.namedChildCount === 1) {
    n = n.namedChild(0);
  }
  if (!n) return null;
  if (n.type === 'generic_token') return n.text;
  if (n.type === 'string_literal') {
    const s = n.namedChild(0);
    if (!s) return null;
    if (s.type === 'verbatim_string_characters') return s.text.slice(1, -1).replace(/''/g, "'");
    if (s.type === 'expandable_string_literal' && !/[$`]/.test(s.text)) return s.text.slice(1, -1);
  }
  return null;
}

// descendants yields the nodes below node of the given types.
function* descendants(node, types) {
  const cursor = node.walk();
  try {
    for (let more = cursor.gotoFirstChild(); more;) {
      if (types.includes(cursor.nodeType)) yield cursor.currentNode;
      if (cursor.gotoFirstChild() || cursor.gotoNextSibling()) continue;
      more = false;
      while (cursor.gotoParent() && cursor.currentNode.id !== node.id) {
        if (cursor.gotoNextSibling()) { more = true; break; }
      }
    }
  } finally {
    cursor.delete(); // also when the caller stops early
  }
}

// attributeInfo reads a parameter's attributes: its type, and each
// [Parameter(...)] and [Alias(...)].
function attributeInfo(list) {
  const out = { type: '', params: [], aliases: [] };
  if (!list) return out;
  for (const a of list.namedChildren) {
    if (a.type !== 'attribute') continue;
    const t = a.namedChildren.find((c) => c.type === 'type_literal');
    if (t) { out.type = t.text.slice(1, -1).trim(); continue; }
    const name = lower((a.namedChildren.find((c) => c.type === 'attribute_name') || { text: '' }).text);
    const args = (a.namedChildren.find((c) => c.type === 'attribute_arguments') || { namedChildren: [] }).namedChildren;
    if (name === 'parameter' || name === 'system.management.automation.parameter') {
      const p = { set: '', mandatory: false, position: null, remaining: false };
      for (const arg of args) {
        const key = arg.namedChild(0);
        if (!key || key.type !== 'simple_name') continue;
        const value = arg.namedChildCount > 1 ? arg.namedChild(1).text.trim() : '$true';
        const on = /^\$true$/i.test(value);
        switch (lower(key.text)) {
          case 'mandatory': p.mandatory = on; break;
          case 'position': p.position = Number(value); break;
          case 'parametersetname': p.set = constantText(arg.namedChild(1)) || ''; break;
          case 'valuefromremainingarguments': p.remaining = on; break;
        }
      }
      out.params.push(p);
    } else if (name === 'alias') {
      for (const s of descendants(a, ['string_literal'])) {
        const v = constantText(s);
        if (v) out.aliases.push(v);
      }
    }
  }
  return out;
}

// paramSignature reads a param block or a function's parameter list into
// a signature. An advanced function ([CmdletBinding()] or a [Parameter()]
// attribute) has the common parameters; a simple one takes extra
// positional arguments into $args. When no parameter has a Position and
// no parameter set is named, the parameters other than switches are
// positional in declaration order (unless PositionalBinding = $false);
// otherwise only those with a Position are.
// https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_functions_advanced_parameters?view=powershell-5.1
// https://learn.microsoft.com/dotnet/api/system.management.automation.commandmetadata.positionalbinding
function paramSignature(kind, name, block, listNode) {
  let advanced = false;
  let positionalBinding = true;
  if (block) {
    const attrs = block.namedChildren.find((c) => c.type === 'attribute_list');
    for (const a of attrs ? attrs.namedChildren : []) {
      if (/^\[\s*CmdletBinding\b/i.test(a.text)) {
        advanced = true;
        if (/PositionalBinding\s*=\s*\$false/i.test(a.text)) positionalBinding = false;
      }
    }
  }
  const decl = [];
  for (const sp of listNode ? listNode.namedChildren.filter((c) => c.type === 'script_parameter') : []) {
    const v = sp.namedChildren.find((c) => c.type === 'variable');
    const info = attributeInfo(sp.namedChildren.find((c) => c.type === 'attribute_list'));
    if (info.params.length) advanced = true;
    decl.push({ name: v.text.replace(/^\$/, ''), info });
  }
  const explicit = decl.some((d) => d.info.params.some((p) => p.position !== null));
  const setNames = [...new Set(decl.flatMap((d) => d.info.params.map((p) => p.set)).filter(Boolean))];
  const auto = positionalBinding && !explicit && setNames.length === 0;
  const sets = (setNames.length ? setNames : ['__AllParameterSets']).map((setName) => {
    const params = [];
    let order = 0;
    for (const d of decl) {
      const attrs = d.info.params.length ? d.info.params : [{ set: '', mandatory: false, position: null, remaining: false }];
      const a = attrs.find((p) => p.set === setName) || attrs.find((p) => p.set === '' || p.set === '__AllParameterSets');
      if (!a) continue;
      const isSwitch = /^(switch|system\.management\.automation\.switchparameter)$/i.test(d.info.type);
      const positional = !isSwitch && (auto || a.position !== null);
      params.push({ name: d.name, type: d.info.type || 'Object', isSwitch, positional, mandatory: a.mandatory,
        aliases: d.info.aliases, order: explicit ? a.position : order++, remaining: a.remaining });
    }
    params.sort((x, y) => (x.order ?? 1e9) - (y.order ?? 1e9));
    return { name: setName, params };
  });
  const remaining = decl.find((d) => d.info.params.some((p) => p.remaining));
  return signature(kind, name, sets, { advanced, extraArgs: !advanced, remaining: remaining && remaining.name });
}

// functionSignature reads `function Name { param(...) ... }` or
// `function Name($a, $b) { ... }`.
function functionSignature(fn) {
  const name = fn.namedChildren.find((c) => c.type === 'function_name').text;
  const decl = fn.namedChildren.find((c) => c.type === 'function_parameter_declaration');
  const body = fn.namedChildren.find((c) => c.type === 'script_block');
  const block = body && body.namedChildren.find((c) => c.type === 'param_block');
  const list = (decl || block) && (decl || block).namedChildren.find((c) => c.type === 'parameter_list');
  return paramSignature('function', name, block, list);
}

// scriptSignature reads a script file's own param block.
function scriptSignature(file, tree) {
  const block = tree.rootNode.namedChildren.find((c) => c.type === 'param_block');
  const list = block && block.namedChildren.find((c) => c.type === 'parameter_list');
  return paramSignature('script', path.basename(file), block, list);
}

// commandName returns the name a command node calls: {name} for a
// constant name or path, {script} for an expression that names a .ps1 by
// a constant, or {dynamic} when it is computed.
function commandName(cmd) {
  const named = cmd.childForFieldName('command_name');
  if (!named) return { dynamic: true };
  if (named.type === 'command_name') return { name: named.text };
  const inner = named.namedChild(0);
  if (!inner) return { dynamic: true };
  if (inner.type === 'command_name') return { name: inner.text };
  if (inner.type === 'path_command_name' && !inner.namedChildren.some((c) => c.type === 'variable')) return { name: inner.text };
  if (inner.type === 'string_literal') {
    const s = constantText(inner);
    return s === null ? { dynamic: true } : { name: s };
  }
  if (inner.type === 'parenthesized_expression') {
    for (const s of descendants(inner, ['string_literal'])) {
      const t = constantText(s);
      if (t && /\.ps1$/i.test(t)) return { script: path.win32.basename(t) };
    }
  }
  return { dynamic: true };
}

// Checker checks the commands of a batch of files.
class Checker {
  constructor(cmdlets) {
    this.cmdlets = cmdlets;
    this.scripts = new Map(); // script file name (lower) -> signature
    this.modules = []; // exported function signatures of the --module files
    this.counts = { commands: 0, cmdlet: 0, function: 0, script: 0, native: 0, dynamic: 0 };
  }

  // addScript makes a file's param block known to calls by its name.
  addScript(file, tree) { this.scripts.set(lower(path.basename(file)), scriptSignature(file, tree)); }

  // addModule makes a module's exported functions (Export-ModuleMember
  // -Function, else all) known to files that import a module.
  addModule(tree) {
    const fns = new Map();
    for (const f of nodesOf(tree, 'function_statement')) {
      const sig = functionSignature(f);
      fns.set(lower(sig.name), sig);
    }
    let exported = null;
    for (const cmd of nodesOf(tree, 'command')) {
      if (lower(commandName(cmd).name || '') !== 'export-modulemember') continue;
      const elems = cmd.childForFieldName('command_elements');
      exported = exported || new Set();
      let take = true; // the first positional argument is -Function
      for (const el of elems ? elems.namedChildren : []) {
        if (el.type === 'command_parameter') { take = /^-f/i.test(el.text); continue; }
        if (!take || el.type === 'command_argument_sep') continue;
        for (const s of [el, ...descendants(el, ['string_literal', 'generic_token'])]) {
          const t = constantText(s);
          if (t) exported.add(lower(t));
        }
      }
    }
    for (const [k, sig] of fns) if (!exported || exported.has(k)) this.modules.push(sig);
  }

  // check returns the problems of one file's tree as [node, message].
  check(file, tree) {
    const out = [];
    const functions = new Map();
    for (const f of nodesOf(tree, 'function_statement')) {
      const sig = functionSignature(f);
      functions.set(lower(sig.name), sig);
    }
    const commands = nodesOf(tree, 'command');
    const imports = commands.some((c) => /^(import-module|ipmo|new-module|nmo)$/i.test(commandName(c).name || ''));
    if (imports) for (const sig of this.modules) if (!functions.has(lower(sig.name))) functions.set(lower(sig.name), sig);
    for (const cmd of commands) this.checkCommand(tree, cmd, functions, out);
    return out;
  }

  // resolve finds what a command name runs: an alias, a function, a
  // cmdlet, a script of the batch or a native program.
  resolve(name, functions) {
    const n = lower(name);
    if (aliases51[n]) return { sig: this.cmdlets.get(aliases51[n]) };
    if (functions.has(n)) return { sig: functions.get(n) };
    const c = this.cmdlets.get(n);
    if (c) return { sig: c };
    const base = lower(path.win32.basename(name));
    const qualified = base !== n && !base.includes('.') && this.cmdlets.get(base); // Module\Cmdlet
    if (qualified) return { sig: qualified };
    if (/\.ps1$/.test(base)) return this.scripts.has(base) ? { sig: this.scripts.get(base) } : { dynamic: true };
    if (nativeExt.test(base) || natives.includes(n)) return { native: true };
    return { unknown: true };
  }

  checkCommand(tree, cmd, functions, out) {
    const called = commandName(cmd);
    // The grammar reads a statement that starts with a number (1..3 | ...)
    // as a command; PowerShell reads it as an expression.
    if (called.name && /^\d[\dA-Fa-fxX.]*(kb|mb|gb|tb|pb|l|d)?$/i.test(called.name)) return;
    this.counts.commands++;
    let r;
    if (called.dynamic) r = { dynamic: true };
    else if (called.script) r = this.scripts.has(lower(called.script)) ? { sig: this.scripts.get(lower(called.script)) } : { dynamic: true };
    else r = this.resolve(called.name, functions);
    if (r.dynamic) { this.counts.dynamic++; return; }
    if (r.native) { this.counts.native++; return; }
    if (r.unknown) {
      out.push([cmd, `unknown command ${called.name}: not a cmdlet of Windows PowerShell 5.1 or Windows Server 2022, nor a function this script defines or imports`]);
      return;
    }
    let sig = r.sig;
    const alias = aliases51[lower(called.name || '')] ? ` (${called.name} is the alias of ${sig.name} in Windows PowerShell 5.1)` : '';
    this.counts[sig.kind]++;
    const args = commandArgs(cmd);
    const pipelineInput = cmd.previousSibling && cmd.previousSibling.type === '|';

    // Provider dynamic parameters, by the -Path or first positional argument.
    for (const p of providerSets) {
      if (lower(sig.name) !== p.cmdlet) continue;
      const target = args.named.find((a) => /^-?path$/i.test(a.name)) || { value: args.positional[0] };
      const v = target.value && constantText(target.value);
      if (v && p.path.test(v)) {
        sig = signature(sig.kind, sig.name, [...sig.sets, { name: p.set.name, params: p.set.params.map(refParam) }], { advanced: true });
      }
    }

    fixSwitchValues(sig, args);

    const keys = new Set();
    const given = [...args.named];
    let unresolvedSplat = false;
    for (const s of args.splats) {
      const k = splatHashKeys(tree, cmd, s);
      if (k === null) unresolvedSplat = true;
      else given.push(...k.map((name) => ({ name, node: s, value: null, fromSplat: true })));
    }
    let unknown = false;
    for (const a of given) {
      const res = resolveParam(sig, a.name);
      if (res.error) { out.push([a.node, res.error + alias]); unknown = true; continue; }
      const p = sig.params.get(res.key);
      if (keys.has(res.key)) out.push([a.node, `-${p.name} of ${sig.name} is given more than once`]);
      keys.add(res.key);
      if (!a.fromSplat && !p.isSwitch && !a.value) out.push([a.node, `-${p.name} of ${sig.name} is missing its argument`]);
      if (a.value) checkValue(sig, p, a.value, out);
    }
    if (unknown) return; // the parameter sets cannot be judged
    const spare = unresolvedSplat ? Infinity : (pipelineInput ? 1 : 0);
    const why = acceptingSet(sig, keys, args.positional.length, spare);
    if (why) {
      const what = [...[...keys].map((k) => '-' + sig.params.get(k).name),
        ...(args.positional.length ? [`${args.positional.length} positional`] : [])].join(' ') || 'no arguments';
      out.push([cmd, `no parameter set of ${sig.name} takes ${what}${pipelineInput ? ' (with pipeline input)' : ''}: ${why}${alias}`]);
    }
  }
}

// commandArgs splits a command's elements into named parameters (with
// their value node, if any), positional arguments and splats (@name).
function commandArgs(cmd) {
  const out = { named: [], positional: [], splats: [] };
  const elems = cmd.childForFieldName('command_elements');
  if (!elems) return out;
  let pending = null; // a named parameter that may take the next argument
  let colon = false;
  for (const el of elems.namedChildren) {
    switch (el.type) {
      case 'command_argument_sep':
        if (el.text === ':' && pending && el.startIndex === pending.node.endIndex) colon = true;
        continue;
      case 'command_parameter':
        pending = { name: el.text.replace(/^-+/, ''), node: el, value: null, colon: false };
        out.named.push(pending);
        colon = false;
        continue;
      case 'argument_list': // .Method(...) after an argument: part of it
      case 'redirection':
      case 'stop_parsing':
      case 'comment':
        continue;
    }
    if (pending && !pending.value) {
      pending.value = el;
      pending.colon = colon;
      pending = null;
      colon = false;
      continue;
    }
    if (/^@[A-Za-z_][\w]*$/.test(el.text)) out.splats.push(el);
    else out.positional.push(el);
  }
  return out;
}

// Named parameters take the next argument only when they are not
// switches; fixSwitchValues moves a switch's "value" back to the positional
// arguments, unless it was bound with -Name:value.
function fixSwitchValues(sig, args) {
  for (const a of args.named) {
    const res = resolveParam(sig, a.name);
    if (res.error || !a.value || a.colon) continue;
    if (sig.params.get(res.key).isSwitch) {
      args.positional.push(a.value);
      a.value = null;
    }
  }
}

// splatHashKeys returns the keys of the hashtable literal a splatted
// variable is assigned in the enclosing function (or script), or null
// when that is not one constant hashtable.
function splatHashKeys(tree, cmd, splat) {
  const name = lower(splat.text.slice(1));
  let scope = cmd.parent;
  while (scope && scope.type !== 'function_statement' && scope.type !== 'program') scope = scope.parent;
  let keys = null;
  let assignments = 0;
  for (const a of nodesOf(tree, 'assignment_expression')) {
    if (a.startIndex < scope.startIndex || a.endIndex > scope.endIndex) continue;
    const left = a.namedChildren.find((c) => c.type === 'left_assignment_expression');
    const lt = lower(left.text.trim());
    if (lt === '$' + name) {
      assignments++;
      const value = a.childForFieldName('value');
      const hashes = value ? [...descendants(value, ['hash_literal_expression'])] : [];
      const hash = hashes[0];
      if (!hash || value.text.trim() !== hash.text.trim()) return null;
      keys = [];
      const body = hash.namedChildren.find((c) => c.type === 'hash_literal_body');
      for (const e of body ? body.namedChildren.filter((c) => c.type === 'hash_entry') : []) {
        const k = e.namedChildren.find((c) => c.type === 'key_expression');
        const t = k && (k.namedChild(0).type === 'simple_name' ? k.text : constantText(k.namedChild(0)));
        if (!t) return null;
        keys.push(t);
      }
    } else if (lt.startsWith('$' + name + '.') || lt.startsWith('$' + name + '[')) {
      return null; // keys added later
    }
  }
  return assignments === 1 ? keys : null;
}

// checkValue checks constant values that 5.1 reads differently.
function checkValue(sig, p, value, out) {
  const v = constantText(value);
  if (v === null) return;
  const name = lower(p.name);
  const encodingType = /^(FileSystemCmdletProviderEncoding|String)$/i.test(p.type); // not Send-MailMessage's, CIM's
  if (name === 'encoding' && sig.kind === 'cmdlet' && encodingType && !encodings51.includes(lower(v))) {
    const newer = ['utf8nobom', 'utf8bom', 'ansi'].includes(lower(v));
    out.push([value, newer ? `-Encoding ${v} needs PowerShell 6 or later (5.1: ${encodings51.join(', ')})`
      : `-Encoding ${v} is not an encoding of Windows PowerShell 5.1 (${encodings51.join(', ')})`]);
  }
  if (['erroraction', 'warningaction', 'informationaction'].includes(name) && !actionPreferences.includes(lower(v))) {
    out.push([value, `-${p.name} ${v} is not an ActionPreference of Windows PowerShell 5.1 (${actionPreferences.join(', ')})`]);
  }
}

// syntax51 flags what parses but does not work on Windows PowerShell 5.1:
// PowerShell 6+ automatic variables, .NET Core-only types and members, and
// String.Split with a multi-character string (on .NET Framework it splits
// on each of its characters).
function syntax51(tree, out) {
  for (const v of nodesOf(tree, 'variable')) {
    const name = lower(v.text.replace(/^[$@]/, '').replace(/^(global|script|local):/i, ''));
    if (ps6Variables.includes(name)) out.push([v, `$${v.text.slice(1)} is defined by PowerShell 6 and later only ($null in Windows PowerShell 5.1)`]);
  }
  for (const t of nodesOf(tree, 'type_literal')) {
    const name = lower(t.text.slice(1, -1).trim()).replace(/^system\./, '');
    if (netCoreOnly[name] && netCoreOnly[name].length === 0) out.push([t, `[${t.text.slice(1, -1)}] is .NET Core / PowerShell 6+ only`]);
    const member = t.nextSibling && t.nextSibling.type === '::' && t.nextSibling.nextSibling;
    if (member && netCoreOnly[name] && netCoreOnly[name].some((m) => lower(m) === lower(member.text))) {
      out.push([member, `[${t.text.slice(1, -1)}]::${member.text} is .NET Core only (Windows PowerShell 5.1 runs on .NET Framework 4.x)`]);
    }
  }
  for (const inv of nodesOf(tree, 'invokation_expression')) {
    const m = inv.namedChildren.find((c) => c.type === 'member_name');
    const dot = m && m.previousSibling;
    if (!m || lower(m.text) !== 'split' || !dot || dot.type !== '.') continue;
    const list = inv.namedChildren.find((c) => c.type === 'argument_list');
    const exprs = list ? [...descendants(list, ['argument_expression'])].filter((e) => e.parent.parent.id === list.id) : [];
    if (exprs.length !== 1) continue;
    const lits = [...descendants(exprs[0], ['string_literal'])];
    const s = lits.length === 1 && lits[0].text.length === exprs[0].text.trim().length ? constantText(lits[0]) : null;
    if (s !== null && s.length > 1) {
      out.push([inv, `.Split('${s}') splits on each character of '${s}' in Windows PowerShell 5.1 (.NET Framework has no Split(string)); use -split or [string[]]`]);
    }
  }
}

module.exports = { Cmdlets, Checker, syntax51 };

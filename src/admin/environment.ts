/**
 * Environment.list (envi, `environment`) and System.getProperties (`system_properties`) for a Node
 * process: the same keys as Apache's, with the values a JVM would report replaced by the Node runtime's
 * (java.version is the Node version, java.home the Node installation, os.memory.* the V8 heap).
 */
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import type { ZooKeeperServer } from '../server/zooKeeperServer';
import { VERSION_STRING } from '../version';

/** os.arch as Java names it. */
function javaArch(): string {
  switch (process.arch) {
    case 'x64':
      return 'amd64';
    case 'ia32':
      return 'x86';
    case 'arm64':
      return 'aarch64';
    default:
      return process.arch;
  }
}

function javaOsName(): string {
  switch (process.platform) {
    case 'linux':
      return 'Linux';
    case 'darwin':
      return 'Mac OS X';
    case 'win32':
      return `Windows ${os.release()}`;
    case 'freebsd':
      return 'FreeBSD';
    default:
      return os.type();
  }
}

function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? '<NA>';
  }
}

/** The JVM-style system properties of this process (no JVM: Node's equivalents). */
export function baseSystemProperties(): Map<string, string> {
  const home = path.dirname(path.dirname(process.execPath));
  const p = new Map<string, string>([
    ['file.encoding', 'UTF-8'],
    ['file.separator', path.sep],
    ['java.class.path', process.argv[1] ?? ''],
    ['java.home', home],
    ['java.io.tmpdir', os.tmpdir()],
    ['java.library.path', process.env.LD_LIBRARY_PATH ?? ''],
    ['java.vendor', 'Node.js'],
    ['java.version', process.versions.node],
    ['java.vm.name', 'V8'],
    ['java.vm.version', process.versions.v8],
    ['line.separator', os.EOL],
    ['os.arch', javaArch()],
    ['os.name', javaOsName()],
    ['os.version', os.release()],
    ['path.separator', path.delimiter],
    ['user.dir', process.cwd()],
    ['user.home', os.homedir()],
    ['user.name', userName()],
    ['user.timezone', Intl.DateTimeFormat().resolvedOptions().timeZone ?? ''],
  ]);
  return p;
}

/** System.getProperties: the process's properties plus those the server was given (-D, zoo.cfg keys). */
export function systemProperties(zks: ZooKeeperServer): Map<string, string> {
  const p = baseSystemProperties();
  for (const [k, v] of zks.config.sysProps) p.set(k, v);
  return new Map([...p].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Environment.list. */
export function environmentList(): [string, string][] {
  const props = baseSystemProperties();
  const get = (k: string) => props.get(k) ?? '<NA>';
  const heap = v8.getHeapStatistics();
  const mb = 1024 * 1024;
  return [
    ['zookeeper.version', VERSION_STRING],
    ['host.name', os.hostname() || '<NA>'],
    ['java.version', get('java.version')],
    ['java.vendor', get('java.vendor')],
    ['java.home', get('java.home')],
    ['java.class.path', get('java.class.path')],
    ['java.library.path', get('java.library.path')],
    ['java.io.tmpdir', get('java.io.tmpdir')],
    ['java.compiler', '<NA>'],
    ['os.name', get('os.name')],
    ['os.arch', get('os.arch')],
    ['os.version', get('os.version')],
    ['user.name', get('user.name')],
    ['user.home', get('user.home')],
    ['user.dir', get('user.dir')],
    ['os.memory.free', `${Math.floor((heap.total_heap_size - heap.used_heap_size) / mb)}MB`],
    ['os.memory.max', `${Math.floor(heap.heap_size_limit / mb)}MB`],
    ['os.memory.total', `${Math.floor(heap.total_heap_size / mb)}MB`],
  ];
}

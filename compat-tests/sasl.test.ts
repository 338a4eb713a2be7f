/**
 * SASL DIGEST-MD5 as Apache 3.8 offers it: a JAAS file (-Djava.security.auth.login.config) whose
 * Server section lists user_<name>="<password>", and the SASLAuthenticationProvider for the `sasl`
 * ACL scheme. The Java client (zkCli.sh with a Client JAAS section) and kazoo log in against Apache
 * and zkts; what each client sees must be the same.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunningServer, startOracle, startZkts } from './lib/servers';

const ZKCLI = '/usr/share/zookeeper/bin/zkCli.sh';
let dir: string;
let apache: RunningServer;
let zkts: RunningServer;

const jaas = (f: string) => path.join(dir, f);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-sasl-'));
  fs.writeFileSync(
    jaas('server.jaas'),
    'Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_super="adminsecret"\n  user_bob="bobsecret";\n};\n',
  );
  const client = (pw: string) => `Client {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username="bob"\n  password="${pw}";\n};\n`;
  fs.writeFileSync(jaas('client.jaas'), client('bobsecret'));
  fs.writeFileSync(jaas('client-bad.jaas'), client('wrong'));
  fs.writeFileSync(
    jaas('kazoo_sasl.py'),
    [
      'import sys',
      'from kazoo.client import KazooClient',
      "zk = KazooClient(hosts=sys.argv[1], sasl_options={'mechanism': 'DIGEST-MD5', 'username': 'bob', 'password': sys.argv[2]})",
      // kazoo reports CONNECTED before its SASL exchange, and moves AUTH_FAILED -> CLOSED right after a
      // refusal: whether the first request then fails with AuthFailedError or ConnectionClosedError is a
      // race between two kazoo threads that a fast server loses more often. The state sequence is not racy.
      'states = []',
      'session_callback = zk._session_callback',
      'def record(state):',
      '    if state != zk._state: states.append(state)',
      '    session_callback(state)',
      'zk._session_callback = record',
      'try:',
      '    zk.start(timeout=10)',
      "    print('state', zk.client_state)",
      "    print('acl', zk.get_acls('/sasl')[0])",
      "    print('data', zk.get('/sasl')[0])",
      "    zk.set('/sasl', b'by-kazoo')",
      "    print('set ok')",
      '    zk.stop()',
      'except Exception as e:',
      "    refused = type(e).__name__ in ('AuthFailedError', 'ConnectionClosedError')",
      "    print('error', 'refused' if refused else type(e).__name__)",
      '    zk._connection.connection_stopped.wait(10)',
      "    print('states', ','.join(states))",
    ].join('\n'),
  );
  const cfg = { 'authProvider.1': 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider' };
  [apache, zkts] = await Promise.all([
    startOracle({ cfg, jvmFlags: [`-Djava.security.auth.login.config=${jaas('server.jaas')}`] }),
    startZkts({ cfg, sysProps: { 'java.security.auth.login.config': jaas('server.jaas') } }),
  ]);
}, 120000);

afterAll(async () => {
  await Promise.all([apache?.stop(), zkts?.stop()]);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** zkCli.sh output without log noise; session ids and dates replaced. */
function zkCli(server: RunningServer, clientJaas: string, script: string): string {
  const r = spawnSync('/bin/sh', ['-c', 'exec "$0" -server "$1" 2>&1', ZKCLI, server.connectString], {
    input: script,
    env: { ...process.env, TZ: 'UTC', CLIENT_JVMFLAGS: `-Djava.security.auth.login.config=${jaas(clientJaas)}` },
    encoding: 'utf8',
    timeout: 60000,
  });
  return r.stdout
    .split('\n')
    .filter((l) => !/^\s*at |log4j|SLF4J|JLine|Welcome|^\s*$|Connecting to|INFO|WARN|ERROR|^WATCHER::/.test(l))
    .map((l) => l.replace(/0x[0-9a-f]{8,}/g, '0xSESSION').replace(/time = .*/, 'time = T'))
    .join('\n');
}

function kazoo(server: RunningServer, password: string): string {
  return spawnSync('/usr/bin/python3', [jaas('kazoo_sasl.py'), server.connectString, password], { encoding: 'utf8', timeout: 60000 }).stdout;
}

test('the Java client logs in with DIGEST-MD5 and is sasl:bob for ACLs and whoami', () => {
  const script = 'whoami\ncreate /sasl secret sasl:bob:cdrwa\ngetAcl /sasl\nget /sasl\nquit\n';
  const a = zkCli(apache, 'client.jaas', script);
  const z = zkCli(zkts, 'client.jaas', script);
  expect(a).toContain('state:SaslAuthenticated');
  expect(a).toContain('sasl: bob');
  expect(z).toEqual(a);
});

test('a wrong password is AuthFailed, and sasl-protected data stays out of reach', () => {
  const script = 'whoami\nget /sasl\nquit\n';
  const a = zkCli(apache, 'client-bad.jaas', script);
  const z = zkCli(zkts, 'client-bad.jaas', script);
  expect(a).toContain('state:AuthFailed');
  expect(z).toEqual(a);
});

test('kazoo logs in with DIGEST-MD5, and fails with a wrong password', () => {
  const a = kazoo(apache, 'bobsecret');
  expect(a).toContain("data b'secret'");
  expect(kazoo(zkts, 'bobsecret')).toEqual(a);
  const bad = kazoo(apache, 'nope');
  expect(bad).toContain('error refused');
  expect(bad).toContain('states CONNECTING,CONNECTED,AUTH_FAILED,CLOSED');
  expect(kazoo(zkts, 'nope')).toEqual(bad);
});

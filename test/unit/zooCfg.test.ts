/**
 * zoo.cfg: read as java.util.Properties (Properties.load) and interpreted as QuorumPeerConfig.parseProperties
 * does. The vectors in fixtures/server-vectors.json come from Java's Properties and Apache's QuorumPeerConfig
 * (test/java/ServerVectors.java): `propertiesLoad` holds what Properties.load makes of a text,
 * `quorumPeerConfig` what parseProperties makes of a zoo.cfg (or the exception it throws).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildConfig, ConfigError, defaultConfig, loadConfigFile, parseProperties, parseWhitelist } from '../../src/config/zooCfg';

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'server-vectors.json'), 'utf8')) as {
  propertiesLoad: { text: string; properties: Record<string, string> }[];
  quorumPeerConfig: {
    text: string;
    error?: string;
    tickTime?: number;
    minSessionTimeout?: number;
    maxSessionTimeout?: number;
    maxClientCnxns?: number;
    clientPort?: number;
    newSystemProperties?: Record<string, string>;
  }[];
};

const show = (s: string) => JSON.stringify(s);

/** What Properties would hold after load: the last value of each key. */
const asProperties = (text: string) => Object.fromEntries(parseProperties(text).map((l) => [l.key, l.value]));

const cfgOf = (text: string, opts = {}) => buildConfig(parseProperties(text), '/etc/zk/zoo.cfg', { baseDir: '/', ...opts });

// Properties.load decodes \uXXXX escapes, ends a line at a lone \r, and drops a backslash that ends the input;
// zkts does none of these (see the failing tests).
const PROPERTIES_DIVERGENCES = new Set(['k=\\u0041\\u00e9', 'k=v\rk2=v2', 'k=a\\']);

describe('parseProperties, as java.util.Properties.load', () => {
  const cases = fixture.propertiesLoad.filter((v) => !PROPERTIES_DIVERGENCES.has(v.text));
  test.each(cases.map((v) => [show(v.text), v] as const))('%s', (_, v) => {
    expect(asProperties(v.text)).toEqual(v.properties);
  });

  test('=, : and whitespace all separate key from value', () => {
    expect(parseProperties('a=1\nb: 2\nc 3\nd\t4\ne = 5').map((l) => [l.key, l.value])).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', '4'],
      ['e', '5'],
    ]);
  });

  test('each property carries the number of the line it starts on', () => {
    const lines = parseProperties('# header\n\ntickTime=2000\nk=a\\\n  b\\\n  c\nlast=1\n');
    expect(lines).toEqual([
      { key: 'tickTime', value: '2000', line: 3 },
      { key: 'k', value: 'abc', line: 4 },
      { key: 'last', value: '1', line: 7 },
    ]);
  });

  test('CRLF line ends are line ends', () => {
    expect(asProperties('a=1\r\nb=2\r\n')).toEqual({ a: '1', b: '2' });
  });

  test('\\uXXXX escapes are decoded (Properties.load)', () => {
    expect(asProperties('k=\\u0041\\u00e9')).toEqual({ k: 'Aé' });
  });

  test('a lone \\r ends a line (Properties.load)', () => {
    expect(asProperties('k=v\rk2=v2')).toEqual({ k: 'v', k2: 'v2' });
  });

  test('a backslash that ends the input is dropped (Properties.load)', () => {
    expect(asProperties('k=a\\')).toEqual({ k: 'a' });
  });
});

describe("buildConfig, as QuorumPeerConfig.parseProperties", () => {
  const ok = fixture.quorumPeerConfig.filter((v) => v.error === undefined);
  const failing = fixture.quorumPeerConfig.filter((v) => v.error !== undefined);
  const withTickTime = ok.filter((v) => /(^|\n)tickTime/.test(v.text));

  test.each(withTickTime.map((v) => [show(v.text), v] as const))(
    '%s: tickTime and the session timeout bounds (default 2x and 20x tickTime)',
    (_, v) => {
      const c = cfgOf(v.text);
      expect([c.tickTime, c.minSessionTimeout, c.maxSessionTimeout]).toEqual([v.tickTime, v.minSessionTimeout, v.maxSessionTimeout]);
    },
  );

  test.each(ok.map((v) => [show(v.text), v] as const))('%s: clientPort and maxClientCnxns (default 60)', (_, v) => {
    const c = cfgOf(v.text);
    expect([c.clientPort, c.maxClientCnxns]).toEqual([v.clientPort, v.maxClientCnxns]);
  });

  const sysPropDivergences = new Set(['zookeeper.zookeeper.foo', 'zookeeper.jute.maxbuffer']);
  const sysPropCases = ok.filter((v) => !Object.keys(v.newSystemProperties!).some((k) => sysPropDivergences.has(k)));
  test.each(sysPropCases.map((v) => [show(v.text), v] as const))(
    '%s: unknown keys become the system property zookeeper.<key>',
    (_, v) => {
      expect(Object.fromEntries(cfgOf(v.text).sysProps)).toEqual(v.newSystemProperties);
    },
  );

  const refused = failing.filter((v) => !v.text.endsWith('tickTime=3000000000'));
  test.each(refused.map((v) => [show(v.text), v.error] as const))('%s is refused (Apache: %s)', (text) => {
    expect(() => cfgOf(text)).toThrow(ConfigError);
  });

  test('defaults for an embedded server (no file): sessions between 2x and 20x tickTime, 4lw whitelist {srvr}', () => {
    const c = buildConfig({}, null);
    expect(c.minSessionTimeout).toBe(2 * c.tickTime);
    expect(c.maxSessionTimeout).toBe(20 * c.tickTime);
    expect([...c.fourLetterWords]).toEqual(['srvr']);
    expect(c.maxClientCnxns).toBe(60);
    expect(c.juteMaxBuffer).toBe(0xfffff);
    expect(c.extendedTypesEnabled).toBe(false);
    expect(c.sysProps.size).toBe(0);
  });

  test('session timeout bounds follow tickTime unless set', () => {
    expect(cfgOf('dataDir=/d\nclientPort=1\ntickTime=3000')).toMatchObject({ minSessionTimeout: 6000, maxSessionTimeout: 60000 });
    expect(cfgOf('dataDir=/d\nclientPort=1\ntickTime=100\nminSessionTimeout=50\nmaxSessionTimeout=70')).toMatchObject({
      minSessionTimeout: 50,
      maxSessionTimeout: 70,
    });
    expect(() => cfgOf('dataDir=/d\nclientPort=1\ntickTime=1000\nmaxSessionTimeout=1000')).toThrow(
      'minSessionTimeout must not be larger than maxSessionTimeout',
    );
  });

  test('defaultConfig recomputes the bounds from an overridden tickTime', () => {
    expect(defaultConfig({ tickTime: 500 })).toMatchObject({ tickTime: 500, minSessionTimeout: 1000, maxSessionTimeout: 10000 });
    expect(defaultConfig({ tickTime: 500, minSessionTimeout: 10 })).toMatchObject({ minSessionTimeout: 10 });
  });

  test('dataDir and dataLogDir resolve against the base directory; dataLogDir defaults to dataDir', () => {
    const c = buildConfig(parseProperties('dataDir=data\nclientPort=2181'), 'zoo.cfg', { baseDir: '/srv/zk' });
    expect(c.dataDir).toBe('/srv/zk/data');
    expect(c.dataLogDir).toBe('/srv/zk/data');
    expect(cfgOf('dataDir=/d\ndataLogDir=/l\nclientPort=1').dataLogDir).toBe('/l');
  });

  test('a bad integer: ConfigError naming the key, the file and the line', () => {
    const text = 'dataDir=/tmp/zk\n# comment\nclientPort=2181\nmaxClientCnxns=lots\n';
    expect(() => cfgOf(text)).toThrow(ConfigError);
    expect(() => cfgOf(text)).toThrow(/maxClientCnxns/);
    expect(() => cfgOf(text)).toThrow(/\/etc\/zk\/zoo\.cfg line 4/);
    for (const key of ['tickTime', 'initLimit', 'syncLimit', 'clientPort', 'minSessionTimeout', 'maxSessionTimeout']) {
      expect(() => cfgOf(`dataDir=/d\nclientPort=1\n${key}=1.5`)).toThrow(new RegExp(`${key}.*line 3`));
    }
  });

  test('a bad value on a continued line is reported at the line it starts on', () => {
    expect(() => cfgOf('dataDir=/d\nclientPort=1\ntickTime=20\\\n  0x')).toThrow(/tickTime.*line 3/);
  });

  test('a missing dataDir or clientPort is refused', () => {
    expect(() => cfgOf('clientPort=2181')).toThrow(/dataDir is not set/);
    expect(() => cfgOf('dataDir=/d')).toThrow(ConfigError);
    expect(() => cfgOf('dataDir=/d\nclientPort=65536')).toThrow(/clientPort/);
  });

  test('4lw.commands.whitelist: a comma-separated list, blanks trimmed; * stays as the wildcard', () => {
    expect([...cfgOf('dataDir=/d\nclientPort=1\n4lw.commands.whitelist=stat, ruok ,conf,').fourLetterWords]).toEqual(['stat', 'ruok', 'conf']);
    expect(cfgOf('dataDir=/d\nclientPort=1\n4lw.commands.whitelist=*').fourLetterWords.has('*')).toBe(true);
    expect([...parseWhitelist(' mntr ,, srvr ')]).toEqual(['mntr', 'srvr']);
  });

  test('the whitelist may also come as the system property zookeeper.4lw.commands.whitelist', () => {
    const c = buildConfig({}, null, { sysProps: { 'zookeeper.4lw.commands.whitelist': 'ruok' } });
    expect([...c.fourLetterWords]).toEqual(['ruok']);
  });

  test('the txn log is written with O_DIRECT unless zkts.txnLogDirectIo=false', () => {
    expect(buildConfig({}, null).txnLogDirectIo).toBe(true);
    expect(buildConfig({}, null, { sysProps: { 'zkts.txnLogDirectIo': 'false' } }).txnLogDirectIo).toBe(false);
    expect(buildConfig({}, null, { sysProps: { 'zkts.txnLogDirectIo': 'true' } }).txnLogDirectIo).toBe(true);
  });

  test('extendedTypesEnabled=true in zoo.cfg turns on zookeeper.extendedTypesEnabled', () => {
    expect(cfgOf('dataDir=/d\nclientPort=1\nextendedTypesEnabled=true').extendedTypesEnabled).toBe(true);
    expect(cfgOf('dataDir=/d\nclientPort=1').extendedTypesEnabled).toBe(false);
  });

  test('values are trimmed, as QuorumPeerConfig trims them', () => {
    expect(cfgOf('dataDir=/d   \nclientPort = 2181   \ntickTime=  100 ')).toMatchObject({ dataDir: '/d', clientPort: 2181, tickTime: 100 });
    expect(cfgOf('dataDir=/d\nclientPort=1\nfoo=  bar  ').sysProps.get('zookeeper.foo')).toBe('bar');
  });

  test('loadConfigFile reads a file; a missing file is a ConfigError', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-cfg-'));
    try {
      const file = path.join(dir, 'zoo.cfg');
      fs.writeFileSync(file, 'tickTime=1500\ndataDir=/var/zk\nclientPort=2182\n');
      expect(loadConfigFile(file)).toMatchObject({ configFile: file, tickTime: 1500, dataDir: '/var/zk', clientPort: 2182, minSessionTimeout: 3000 });
      expect(() => loadConfigFile(path.join(dir, 'missing.cfg'))).toThrow(ConfigError);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('tickTime defaults to ZooKeeperServer.DEFAULT_TICK_TIME, 3000, when zoo.cfg does not set it', () => {
    const v = fixture.quorumPeerConfig.find((x) => x.text === 'dataDir=/tmp/zk\nclientPort=2181')!;
    expect(v).toMatchObject({ tickTime: 3000, minSessionTimeout: 6000, maxSessionTimeout: 60000 });
    const c = cfgOf(v.text);
    expect([c.tickTime, c.minSessionTimeout, c.maxSessionTimeout]).toEqual([3000, 6000, 60000]);
  });

  test('an integer beyond Java int range is refused (Integer.parseInt)', () => {
    expect(() => cfgOf('dataDir=/tmp/zk\nclientPort=2181\ntickTime=3000000000')).toThrow(ConfigError);
  });

  test('a zookeeper.-prefixed unknown key gets the prefix again (zookeeper.zookeeper.foo), as Apache does', () => {
    expect(Object.fromEntries(cfgOf('dataDir=/tmp/zk\nclientPort=2181\nzookeeper.foo=bar').sysProps)).toEqual({
      'zookeeper.zookeeper.foo': 'bar',
    });
  });

  // A deliberate difference: Apache turns this key into the unused zookeeper.jute.maxbuffer, so the
  // limit stays 0xfffff; zkts documents jute.maxbuffer as a zoo.cfg key and applies it.
  test('jute.maxbuffer in zoo.cfg sets the limit (zkts; Apache ignores the key)', () => {
    const c = cfgOf('dataDir=/tmp/zk\nclientPort=2181\njute.maxbuffer=4194304');
    expect(c.juteMaxBuffer).toBe(4194304);
  });
});

describe('jute.maxbuffer (a system property, read with Integer.getInteger)', () => {
  const limit = (v: string) => buildConfig({}, null, { sysProps: { 'jute.maxbuffer': v } }).juteMaxBuffer;

  test('decimal, 0x / 0X hex and # hex', () => {
    expect(limit('4194304')).toBe(4194304);
    expect(limit('0x400000')).toBe(0x400000);
    expect(limit('0X10')).toBe(16);
    expect(limit('#100000')).toBe(0x100000);
    expect(limit(' 2048 ')).toBe(2048);
  });

  test('a Map of system properties works as well as a record', () => {
    expect(buildConfig({}, null, { sysProps: new Map([['jute.maxbuffer', '0x200000']]) }).juteMaxBuffer).toBe(0x200000);
  });

  test('zero or negative is refused', () => {
    expect(() => limit('0')).toThrow(ConfigError);
    expect(() => limit('-1')).toThrow(ConfigError);
  });

  test('a leading 0 means octal (Integer.decode)', () => {
    expect(limit('010')).toBe(8);
  });
});
